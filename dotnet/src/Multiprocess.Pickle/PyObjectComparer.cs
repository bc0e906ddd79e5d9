using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <summary>
/// Python's <c>==</c> and <c>hash()</c> for the object model: 1, 1.0, True, <c>Decimal('1.0')</c> and 1+0j are
/// one dictionary key; bytes compare by content (and equal a bytearray with the same content); tuples, lists,
/// dicts and sets compare by content; <see cref="PyReduce"/> instances compare by identity, as Python objects
/// without <c>__eq__</c> do.
/// </summary>
/// <remarks>
/// <see cref="Python"/> is the comparer <see cref="PyDict"/> and the set types use. <see cref="Structural"/>
/// also compares <see cref="PyReduce"/> values by content (callable, arguments, state, items) and takes a NaN as equal
/// to a NaN: what tests and
/// round-trip checks want. Both handle recursive structures (a list that contains itself) without overflowing.
/// </remarks>
public sealed class PyObjectComparer : IEqualityComparer<object?>
{
    private const int CycleCheckDepth = 48;
    private const int NoneHash = 0x5F3759DF;

    private readonly bool _structural;

    private PyObjectComparer(bool structural) => _structural = structural;

    /// <summary>Gets Python's semantics: what a dict key lookup or <c>==</c> does in CPython.</summary>
    public static PyObjectComparer Python { get; } = new(structural: false);

    /// <summary>Gets Python's semantics extended to compare <see cref="PyReduce"/> values (user objects) by content.</summary>
    public static PyObjectComparer Structural { get; } = new(structural: true);

    /// <summary>Compares two values as Python's <c>==</c> would (identity implies equality, as in containers).</summary>
    /// <param name="x">The first value.</param>
    /// <param name="y">The second value.</param>
    /// <returns>Whether they are equal.</returns>
    /// <exception cref="InsufficientExecutionStackException">The structures nest too deeply to compare.</exception>
    public new bool Equals(object? x, object? y)
    {
        var state = new EqualityState(_structural);
        return state.AreEqual(x, y, 0);
    }

    /// <summary>
    /// Returns a hash consistent with Python's <c>==</c> (1, 1.0 and True hash alike), keyed per process so that no
    /// chosen set of keys collides: not CPython's <c>hash()</c> value, and different in every process.
    /// </summary>
    /// <param name="obj">The value.</param>
    /// <returns>The hash.</returns>
    /// <exception cref="ArgumentException">The value is unhashable in Python (list, dict, set, bytearray).</exception>
    public int GetHashCode(object? obj) => HashKey(obj);

    internal static int HashKey(object? key)
    {
        switch (key)
        {
            case string s:
                return s.GetHashCode(); // .NET's randomized (Marvin) string hash: keyed per process already
            case long l:
                return PyHash.FromInt64(l);
            case null:
                return NoneHash;
            case double d:
                return PyHash.FromDouble(d, key);
            case bool b:
                return PyHash.FromInt64(b ? 1 : 0);
            case int i:
                return PyHash.FromInt64(i);
            case PyTuple t:
                return t.GetHashCode();
            case byte[] bytes:
                return PyHash.FromBytes(bytes);
            case BigInteger big:
                return PyHash.FromBigInteger(big);
            case PyFrozenSet fs:
                return fs.GetHashCode();
            case PyDecimal dec:
                return dec.Kind == PyDecimalKind.SignalingNaN
                    ? throw new ArgumentException("Cannot hash a signaling NaN value.", nameof(key))
                    : dec.GetHashCode();
            case Complex c:
                return PyHash.FromComplex(c, key);
            case List<object?> or PyDict or PySet or PyByteArray:
                throw new ArgumentException($"unhashable type: '{PyRepr.TypeName(key)}'", nameof(key));
            case PyReduce or PySingleton or PickleBuffer or PyPersistentId:
                return RuntimeHelpers.GetHashCode(key);
            case DateTime dt:
                return PyHash.FromBits(dt.Ticks);
            case DateTimeOffset dto:
                return PyHash.FromBits(dto.UtcTicks);
            case TimeSpan ts:
                return PyHash.FromBits(ts.Ticks);
            case DateOnly date:
                return PyHash.FromBits(date.DayNumber);
            case TimeOnly time:
                return PyHash.FromBits(time.Ticks);
            default:
                if (TryAsNumber(key, out var n))
                {
                    return HashKey(n);
                }

                if (key is System.Collections.IList or System.Collections.IDictionary)
                {
                    throw new ArgumentException($"unhashable type: '{PyRepr.TypeName(key)}'", nameof(key));
                }

                return key.GetHashCode();
        }
    }

    internal static bool KeyEquals(object? x, object? y)
    {
        // Fast paths for the common key types; everything else goes through the general comparison.
        if (x is string sx)
        {
            return y is string sy && string.Equals(sx, sy, StringComparison.Ordinal);
        }

        if (x is long lx && y is long ly)
        {
            return lx == ly;
        }

        var state = new EqualityState(structural: false);
        return state.AreEqual(x, y, 0);
    }

    /// <summary>Normalizes the CLR numeric types a C# caller may use (int, short, ulong, float, decimal...) to the model's.</summary>
    internal static bool TryAsNumber(object? value, out object? number)
    {
        switch (value)
        {
            case int i: number = (long)i; return true;
            case short s: number = (long)s; return true;
            case sbyte sb: number = (long)sb; return true;
            case byte b: number = (long)b; return true;
            case ushort us: number = (long)us; return true;
            case uint ui: number = (long)ui; return true;
            case ulong ul: number = ul <= long.MaxValue ? (long)ul : new BigInteger(ul); return true;
            case nint ni: number = (long)ni; return true;
            case nuint nu: number = (ulong)nu <= long.MaxValue ? (long)nu : new BigInteger((ulong)nu); return true;
            case Int128 i128: number = i128 >= long.MinValue && i128 <= long.MaxValue ? (long)i128 : (BigInteger)i128; return true;
            case UInt128 u128: number = u128 <= long.MaxValue ? (long)u128 : (BigInteger)u128; return true;
            case float f: number = (double)f; return true;
            case Half h: number = (double)h; return true;
            case decimal m: number = PyDecimal.FromDecimal(m); return true;
            default: number = null; return false;
        }
    }

    private struct EqualityState(bool structural)
    {
        private HashSet<(object, object)>? _inProgress;

        public bool AreEqual(object? x, object? y, int depth)
        {
            if (ReferenceEquals(x, y))
            {
                return true;
            }

            if (x is null || y is null)
            {
                return false;
            }

            switch (x)
            {
                case string sx:
                    return y is string sy && string.Equals(sx, sy, StringComparison.Ordinal);
                case long or double or bool or BigInteger or Complex or PyDecimal:
                    return PyNumber.NumericEquals(x, y) || (structural && SameNaN(x, y));
                case byte[] bx:
                    return BytesOf(y, out var by) && bx.AsSpan().SequenceEqual(by);
                case PyByteArray ax:
                    return BytesOf(y, out var ay) && ax.Span.SequenceEqual(ay);
                case PickleBuffer px:
                    return BytesOf(y, out var pyb) && px.Memory.Span.SequenceEqual(pyb);
                case PyTuple tx:
                    return y is PyTuple ty && Sequences(tx.AsSpan(), ty.AsSpan(), x, y, depth);
                case List<object?> lx:
                    return y is List<object?> ly && Sequences(CollectionsMarshal.AsSpan(lx), CollectionsMarshal.AsSpan(ly), x, y, depth);
                case PyDict dx:
                    return y is PyDict dy && Dicts(dx, dy, depth);
                case PySetBase setx:
                    return y is PySetBase sety && setx.Count == sety.Count && Enter(x, y, depth) && Sets(setx, sety, depth);
                case PyGlobal gx:
                    return gx.Equals(y);
                case PyReduce rx:
                    return structural && y is PyReduce ry && rx.GetType() == ry.GetType() && Enter(x, y, depth) && Reduces(rx, ry, depth);
                case PySingleton:
                    return false;
                case PyPersistentId ix:
                    return y is PyPersistentId iy && AreEqual(ix.Id, iy.Id, depth + 1);
            }

            if (TryAsNumber(x, out var nx))
            {
                return AreEqual(nx, y, depth);
            }

            if (TryAsNumber(y, out var ny))
            {
                return AreEqual(x, ny, depth);
            }

            return x.Equals(y);
        }

        /// <summary>Structural comparison treats a NaN as equal to a NaN of the same kind (the value survived a round trip).</summary>
        private static bool SameNaN(object x, object? y) => (x, y) switch
        {
            (double a, double b) => double.IsNaN(a) && double.IsNaN(b),
            (Complex a, Complex b) => (a.Real.Equals(b.Real) || (double.IsNaN(a.Real) && double.IsNaN(b.Real)))
                                      && (a.Imaginary.Equals(b.Imaginary) || (double.IsNaN(a.Imaginary) && double.IsNaN(b.Imaginary))),
            (PyDecimal a, PyDecimal b) => a.Kind is PyDecimalKind.NaN or PyDecimalKind.SignalingNaN && a.ToString() == b.ToString(),
            _ => false,
        };

        private static bool BytesOf(object? value, out ReadOnlySpan<byte> span)
        {
            switch (value)
            {
                case byte[] b: span = b; return true;
                case PyByteArray a: span = a.Span; return true;
                case PickleBuffer p: span = p.Memory.Span; return true;
                default: span = default; return false;
            }
        }

        private bool Enter(object x, object y, int depth)
        {
            if (depth > CycleCheckDepth)
            {
                if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
                {
                    throw new InsufficientExecutionStackException("Python values nest too deeply to compare");
                }

                // Deep or recursive: a pair already being compared further up is assumed equal (bisimulation),
                // which is what makes a list that contains itself equal to its copy.
                _inProgress ??= new HashSet<(object, object)>(PairComparer.Instance);
                if (!_inProgress.Add((x, y)))
                {
                    return false;
                }
            }

            return true;
        }

        private bool InProgress(object x, object y, int depth) =>
            depth > CycleCheckDepth && _inProgress is not null && _inProgress.Contains((x, y));

        private bool Sequences(ReadOnlySpan<object?> a, ReadOnlySpan<object?> b, object x, object y, int depth)
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            if (InProgress(x, y, depth))
            {
                return true;
            }

            if (!Enter(x, y, depth))
            {
                return true;
            }

            for (var i = 0; i < a.Length; i++)
            {
                if (!AreEqual(a[i], b[i], depth + 1))
                {
                    return false;
                }
            }

            return true;
        }

        private bool Dicts(PyDict a, PyDict b, int depth)
        {
            if (a.Count != b.Count)
            {
                return false;
            }

            if (InProgress(a, b, depth) || !Enter(a, b, depth))
            {
                return true;
            }

            foreach (var (key, value) in a)
            {
                if (!b.TryGetValue(key, out var other) || !AreEqual(value, other, depth + 1))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool Sets(PySetBase a, PySetBase b, int depth)
        {
            _ = depth;
            foreach (var item in a)
            {
                if (!b.Contains(item))
                {
                    return false;
                }
            }

            return true;
        }

        private bool Reduces(PyReduce a, PyReduce b, int depth)
        {
            if (a.Kind != b.Kind
                || !AreEqual(a.Callable, b.Callable, depth + 1)
                || !AreEqual(a.Args, b.Args, depth + 1)
                || !AreEqual(a.Kwargs, b.Kwargs, depth + 1)
                || !AreEqual(a.State, b.State, depth + 1))
            {
                return false;
            }

            if ((a.ListItems?.Count ?? 0) != (b.ListItems?.Count ?? 0) || (a.DictItems?.Count ?? 0) != (b.DictItems?.Count ?? 0))
            {
                return false;
            }

            for (var i = 0; i < (a.ListItems?.Count ?? 0); i++)
            {
                if (!AreEqual(a.ListItems![i], b.ListItems![i], depth + 1))
                {
                    return false;
                }
            }

            for (var i = 0; i < (a.DictItems?.Count ?? 0); i++)
            {
                if (!AreEqual(a.DictItems![i].Key, b.DictItems![i].Key, depth + 1)
                    || !AreEqual(a.DictItems![i].Value, b.DictItems![i].Value, depth + 1))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class PairComparer : IEqualityComparer<(object, object)>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals((object, object) a, (object, object) b) =>
            ReferenceEquals(a.Item1, b.Item1) && ReferenceEquals(a.Item2, b.Item2);

        public int GetHashCode((object, object) p) =>
            HashCode.Combine(RuntimeHelpers.GetHashCode(p.Item1), RuntimeHelpers.GetHashCode(p.Item2));
    }
}
