using System.Text;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// A ctypes simple type as <c>multiprocessing.sharedctypes</c> accepts it (<c>typecode_to_type</c>, or a ctypes type by
/// name), with its size on Linux x86-64 (LP64) and the name it is pickled under: the class's <c>__qualname__</c>, so
/// <c>'q'</c>, <c>c_longlong</c>, <c>c_int64</c> and <c>c_ssize_t</c> all travel as <c>ctypes.c_long</c>, as they do from
/// CPython (ctypes makes them aliases when <c>sizeof(long) == sizeof(long long)</c>).
/// </summary>
/// <remarks>Pointer types (<c>c_char_p</c>, <c>c_wchar_p</c>) and <c>c_longdouble</c> are refused: a pointer means
/// nothing in another process, and .NET has no 80-bit float. Structures are not supported.</remarks>
public sealed class CType
{
    private static readonly CType[] s_all =
    [
        Entry<byte>("c_char", 'c', CTypeKind.Integer),
        Entry<uint>("c_wchar", 'u', CTypeKind.Integer),
        Entry<sbyte>("c_byte", 'b', CTypeKind.Integer),
        Entry<byte>("c_ubyte", 'B', CTypeKind.Integer),
        Entry<short>("c_short", 'h', CTypeKind.Integer),
        Entry<ushort>("c_ushort", 'H', CTypeKind.Integer),
        Entry<int>("c_int", 'i', CTypeKind.Integer),
        Entry<uint>("c_uint", 'I', CTypeKind.Integer),
        Entry<long>("c_long", 'l', CTypeKind.Integer),
        Entry<ulong>("c_ulong", 'L', CTypeKind.Integer),
        Entry<float>("c_float", 'f', CTypeKind.Float),
        Entry<double>("c_double", 'd', CTypeKind.Float),
        Entry<bool>("c_bool", '?', CTypeKind.Bool),
        Entry<nuint>("c_void_p", 'P', CTypeKind.Integer),
    ];

    private static readonly Dictionary<string, CType> s_byName = BuildNames();

    // sharedctypes.typecode_to_type ('q'/'Q' are c_longlong/c_ulonglong, i.e. c_long/c_ulong on LP64).
    private static readonly Dictionary<char, CType> s_byTypecode = new()
    {
        ['c'] = s_byName["c_char"], ['u'] = s_byName["c_wchar"],
        ['b'] = s_byName["c_byte"], ['B'] = s_byName["c_ubyte"],
        ['h'] = s_byName["c_short"], ['H'] = s_byName["c_ushort"],
        ['i'] = s_byName["c_int"], ['I'] = s_byName["c_uint"],
        ['l'] = s_byName["c_long"], ['L'] = s_byName["c_ulong"],
        ['q'] = s_byName["c_long"], ['Q'] = s_byName["c_ulong"],
        ['f'] = s_byName["c_float"], ['d'] = s_byName["c_double"],
    };

    // The ctype a .NET element type gets when none is named.
    private static readonly Dictionary<Type, CType> s_natural = new()
    {
        [typeof(sbyte)] = s_byName["c_byte"], [typeof(byte)] = s_byName["c_ubyte"],
        [typeof(short)] = s_byName["c_short"], [typeof(ushort)] = s_byName["c_ushort"],
        [typeof(int)] = s_byName["c_int"], [typeof(uint)] = s_byName["c_uint"],
        [typeof(long)] = s_byName["c_long"], [typeof(ulong)] = s_byName["c_ulong"],
        [typeof(nint)] = s_byName["c_long"], [typeof(nuint)] = s_byName["c_ulong"],
        [typeof(float)] = s_byName["c_float"], [typeof(double)] = s_byName["c_double"],
        [typeof(bool)] = s_byName["c_bool"], [typeof(Rune)] = s_byName["c_wchar"],
    };

    private static readonly HashSet<Type> s_integers = new[]
    {
        typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong),
        typeof(nint), typeof(nuint), typeof(Rune),
    }.ToHashSet();

    private CType(string name, char code, int size, CTypeKind kind, Type clrType, Func<BufferWrapper, int?, CTypeObject> view)
    {
        Name = name;
        Code = code;
        Size = size;
        Kind = kind;
        ClrType = clrType;
        View = view;
    }

    /// <summary>Gets the ctypes class name as pickled (<c>c_int</c>; the module is <c>ctypes</c>).</summary>
    public string Name { get; }

    /// <summary>Gets the ctypes <c>_type_</c> code (<c>'i'</c>, <c>'l'</c> for c_long…).</summary>
    public char Code { get; }

    /// <summary>Gets <c>ctypes.sizeof</c> of the type (its alignment too, for these types).</summary>
    public int Size { get; }

    /// <summary>Gets the natural .NET element type an object of this ctype arrives as (<c>c_int</c> → int,
    /// <c>c_char</c> → byte, <c>c_wchar</c> → uint).</summary>
    public Type ClrType { get; }

    internal CTypeKind Kind { get; }

    /// <summary>Gets the view of a received block with the natural element type: a <see cref="RawValue{T}"/> when the
    /// length is null, else a <see cref="RawArray{T}"/>.</summary>
    internal Func<BufferWrapper, int?, CTypeObject> View { get; }

    /// <summary>CPython's <c>typecode_to_type.get(typecode_or_type, typecode_or_type)</c>: a one-character typecode
    /// (<c>'i'</c>, <c>'d'</c>…) or a ctypes simple type's name (<c>c_int</c>, <c>c_int64</c>, <c>ctypes.c_size_t</c>).</summary>
    /// <param name="typecodeOrType">The typecode or name.</param>
    /// <returns>The type.</returns>
    /// <exception cref="ArgumentException">Neither a sharedctypes typecode nor a supported ctypes type.</exception>
    public static CType Parse(string typecodeOrType)
    {
        ArgumentNullException.ThrowIfNull(typecodeOrType);
        if (typecodeOrType.Length == 1)
        {
            return s_byTypecode.TryGetValue(typecodeOrType[0], out var t)
                ? t
                : throw new ArgumentException(
                    $"'{typecodeOrType}' is not a sharedctypes typecode (one of {string.Concat(s_byTypecode.Keys.Order())})", nameof(typecodeOrType));
        }

        var name = typecodeOrType.StartsWith("ctypes.", StringComparison.Ordinal) ? typecodeOrType[7..] : typecodeOrType;
        if (s_byName.TryGetValue(name, out var byName))
        {
            return byName;
        }

        var why = name switch
        {
            "c_char_p" or "c_wchar_p" => ": a pointer into one process's memory means nothing in another",
            "c_longdouble" => ": .NET has no 80-bit long double",
            _ => string.Empty,
        };
        throw new ArgumentException($"'{typecodeOrType}' is not a supported ctypes simple type{why}", nameof(typecodeOrType));
    }

    /// <summary>The ctype a .NET element type maps to when none is named: sbyte → c_byte, byte → c_ubyte, short,
    /// ushort, int, uint, long/nint → c_long, ulong/nuint → c_ulong, float, double, bool → c_bool, Rune → c_wchar.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>The type.</returns>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no ctypes counterpart.</exception>
    public static CType For<T>()
        where T : unmanaged =>
        s_natural.TryGetValue(typeof(T), out var t)
            ? t
            : throw new ArgumentException($"{typeof(T).Name} has no ctypes counterpart; use a primitive number type, bool or Rune");

    /// <summary>Resolves the ctype of an element type <typeparamref name="T"/>, given or natural, and checks they fit:
    /// the same size, and integers with integer types, floats with the same float type, bool with bool or byte.</summary>
    internal static CType Resolve<T>(string? typecodeOrType)
        where T : unmanaged
    {
        var type = typecodeOrType is null ? For<T>() : Parse(typecodeOrType);
        type.CheckElement<T>();
        return type;
    }

    internal unsafe void CheckElement<T>()
        where T : unmanaged
    {
        var fits = sizeof(T) == Size && Kind switch
        {
            CTypeKind.Integer => s_integers.Contains(typeof(T)),
            CTypeKind.Float => typeof(T) == (Size == 4 ? typeof(float) : typeof(double)),
            _ => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
        };
        if (!fits)
        {
            throw new ArgumentException($"ctypes.{Name} ({Size} byte(s), '{Code}') cannot be viewed as {typeof(T).Name} ({sizeof(T)} byte(s))");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => "ctypes." + Name;

    private static unsafe CType Entry<T>(string name, char code, CTypeKind kind)
        where T : unmanaged
    {
        CType? self = null;
        self = new CType(name, code, sizeof(T), kind, typeof(T), (wrapper, length) => length is { } n
            ? new RawArray<T>(self!, wrapper, n)
            : new RawValue<T>(self!, wrapper));
        return self;
    }

    private static Dictionary<string, CType> BuildNames()
    {
        var names = s_all.ToDictionary(t => t.Name, StringComparer.Ordinal);
        CType Of(string n) => names[n];

        // The aliases ctypes defines on Linux x86-64 (LP64, 8-byte size_t and time_t).
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["c_longlong"] = "c_long", ["c_ulonglong"] = "c_ulong",
            ["c_int8"] = "c_byte", ["c_uint8"] = "c_ubyte",
            ["c_int16"] = "c_short", ["c_uint16"] = "c_ushort",
            ["c_int32"] = "c_int", ["c_uint32"] = "c_uint",
            ["c_int64"] = "c_long", ["c_uint64"] = "c_ulong",
            ["c_size_t"] = "c_ulong", ["c_ssize_t"] = "c_long", ["c_time_t"] = "c_long",
            ["c_voidp"] = "c_void_p",
        };
        foreach (var (alias, target) in aliases)
        {
            names[alias] = Of(target);
        }

        return names;
    }
}
