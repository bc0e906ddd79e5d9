using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;
using Multiprocess.Pickle;

namespace Multiprocess.XmlRpc;

/// <summary>
/// CPython's <c>xmlrpc.client.Marshaller</c> with <c>allow_none=True</c>, as multiprocessing's <c>_xml_dumps</c> uses
/// it (Lib/multiprocessing/connection.py): <c>dumps((obj,), None, None, None, 1)</c>, a bare <c>&lt;params&gt;</c>
/// block with one <c>&lt;param&gt;</c>, no XML declaration, UTF-8. Same elements, same line breaks, same
/// base64 line length; what CPython cannot marshal raises the error CPython raises (<see cref="XmlRpcException"/>).
/// </summary>
/// <remarks>
/// Two deliberate differences, both on values CPython garbles: a <c>\r</c> in a str is written <c>&amp;#xD;</c> (CPython
/// writes it raw and the receiving parser turns it into <c>\n</c>), and a character XML 1.0 cannot hold (<c>\0</c>,
/// most C0 controls, a lone surrogate) is refused here with a ValueError naming it (CPython writes it, and the peer's
/// expat fails on the whole document).
/// </remarks>
internal sealed class XmlRpcWriter
{
    /// <summary>CPython's <c>xmlrpc.client.MAXINT</c> / <c>MININT</c>: XML-RPC's <c>int</c> is 32-bit.</summary>
    private const long MaxInt = int.MaxValue;
    private const long MinInt = int.MinValue;

    private readonly IBufferWriter<byte> _output;
    private readonly HashSet<object> _memo = new(ReferenceEqualityComparer.Instance);
    private readonly int _maxDepth;
    private int _depth;

    private XmlRpcWriter(IBufferWriter<byte> output, int maxDepth)
    {
        _output = output;
        _maxDepth = maxDepth;
    }

    /// <summary>Writes <c>&lt;params&gt;&lt;param&gt;value&lt;/param&gt;&lt;/params&gt;</c> into <paramref name="output"/>.</summary>
    /// <exception cref="XmlRpcException">The value (or something inside it) has no XML-RPC form.</exception>
    public static void WriteParams(IBufferWriter<byte> output, object? value, int maxDepth)
    {
        var writer = new XmlRpcWriter(output, maxDepth);
        writer.Raw("<params>\n<param>\n");
        writer.Dump(value);
        writer.Raw("</param>\n</params>\n");
    }

    private void Dump(object? value)
    {
        switch (value)
        {
            case null:
                Raw("<value><nil/></value>");   // dump_nil writes no line break
                return;
            case bool b:
                Scalar("boolean", b ? "1" : "0");
                return;
            case string s:
                Scalar("string", CheckText(s));
                return;
            case char c:
                Scalar("string", CheckText(c.ToString()));
                return;
            case double or float or Half:
                Scalar("double", PyRepr.Float(Convert.ToDouble(value, CultureInfo.InvariantCulture)));
                return;
            case byte[] bytes:
                Base64(bytes);
                return;
            case PyByteArray byteArray:
                Base64(byteArray.ToArray());
                return;
            case ReadOnlyMemory<byte> memory:
                Base64(memory.ToArray());
                return;
            case DateTime dateTime:
                Scalar("dateTime.iso8601", Iso8601(dateTime));
                return;
            case DateTimeOffset dateTimeOffset:
                // 3.13: value.replace(tzinfo=None); older versions' strftime ignores the zone too: the wall clock time.
                Scalar("dateTime.iso8601", Iso8601(dateTimeOffset.DateTime));
                return;
            case XmlRpcDateTime wrapped:
                Scalar("dateTime.iso8601", CheckText(wrapped.Value));
                return;
            case PyTuple tuple:
                Array(tuple, tuple.AsSpan().ToArray());
                return;
            case IXmlRpcUnmarshallable opaque:
                throw new XmlRpcException(PyException.Builtin("TypeError", $"cannot marshal <class '{opaque.PythonClass}'> objects"));
            case List<object?> list:
                Array(list, list);
                return;
            case PyDict dict:
                Struct(dict, dict.Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value)));
                return;
            case PyException exception:
                // An exception instance has a __dict__ (usually empty): dump_instance writes it as a struct.
                Struct(exception, InstanceDict(exception.State));
                return;
            case PyReduce reduce:
                Instance(reduce);
                return;
        }

        if (TryInteger(value, out var integer))
        {
            if (integer > MaxInt || integer < MinInt)
            {
                throw new XmlRpcException(PyException.Builtin("OverflowError", "int exceeds XML-RPC limits"));
            }

            Scalar("int", integer.ToString(CultureInfo.InvariantCulture));
            return;
        }

        switch (value)
        {
            case IDictionary dictionary:
                Struct(dictionary, Entries(dictionary));
                return;
            case IList sequence:
                Array(sequence, sequence.Cast<object?>());
                return;
            case System.Runtime.CompilerServices.ITuple valueTuple:
                Array(valueTuple, Enumerable.Range(0, valueTuple.Length).Select(i => valueTuple[i]));
                return;
        }

        throw CannotMarshal(value);
    }

    /// <summary>An object without a dispatch entry: a struct of its <c>__dict__</c>, or CPython's TypeError.</summary>
    private void Instance(PyReduce reduce)
    {
        var cls = reduce.ClassGlobal;
        var state = reduce.State;
        if (cls is not null && cls.Is("xmlrpc.client", "Binary") && state is PyDict { Count: 1 } binary && binary.TryGetValue("data", out var data) && data is byte[] bytes)
        {
            Base64(bytes);
            return;
        }

        if (cls is not null && cls.Is("xmlrpc.client", "DateTime") && state is PyDict { Count: 1 } date && date.TryGetValue("value", out var text) && text is string s)
        {
            Scalar("dateTime.iso8601", CheckText(s));
            return;
        }

        // A plain instance (NEWOBJ or copyreg._reconstructor, state = __dict__): dump_struct(value.__dict__). A subclass
        // of list or dict (APPENDS/SETITEMS), an object with __slots__ only (tuple state, e.g. Token) or one reduced to
        // another callable has no usable __dict__: CPython's "cannot marshal" TypeError.
        var plain = reduce.Kind is PyReduceKind.NewObj or PyReduceKind.Obj || IsReconstructor(reduce);
        if (plain && reduce.ListItems is not { Count: > 0 } && reduce.DictItems is not { Count: > 0 } && state is null or PyDict)
        {
            Struct(reduce, InstanceDict(state));
            return;
        }

        throw CannotMarshal(reduce);
    }

    private static IEnumerable<KeyValuePair<object?, object?>> Entries(IDictionary dictionary)
    {
        var entries = dictionary.GetEnumerator();
        while (entries.MoveNext())
        {
            yield return new KeyValuePair<object?, object?>(entries.Key, entries.Value);
        }
    }

    private static bool IsReconstructor(PyReduce reduce) =>
        reduce.Kind == PyReduceKind.Reduce && reduce.Callable is PyGlobal g && g.Is("copyreg", "_reconstructor");

    private static IEnumerable<KeyValuePair<object?, object?>> InstanceDict(object? state) =>
        state is PyDict d ? d.Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value)) : [];

    private void Scalar(string type, string text)
    {
        Raw("<value><");
        Raw(type);
        Raw(">");
        Escaped(text);
        Raw("</");
        Raw(type);
        Raw("></value>\n");
    }

    /// <summary><c>base64.encodebytes</c>: lines of 76 characters, each ending in a line break.</summary>
    private void Base64(byte[] bytes)
    {
        Raw("<value><base64>\n");
        const int bytesPerLine = 57; // 76 base64 characters
        for (var i = 0; i < bytes.Length; i += bytesPerLine)
        {
            Raw(Convert.ToBase64String(bytes, i, Math.Min(bytesPerLine, bytes.Length - i)));
            Raw("\n");
        }

        Raw("</base64></value>\n");
    }

    private void Array(object identity, IEnumerable<object?> items)
    {
        Enter(identity, "cannot marshal recursive sequences");
        Raw("<value><array><data>\n");
        foreach (var item in items)
        {
            Dump(item);
        }

        Raw("</data></array></value>\n");
        Leave(identity);
    }

    private void Struct(object identity, IEnumerable<KeyValuePair<object?, object?>> members)
    {
        Enter(identity, "cannot marshal recursive dictionaries");
        Raw("<value><struct>\n");
        foreach (var (key, item) in members)
        {
            if (key is not string name)
            {
                throw new XmlRpcException(PyException.Builtin("TypeError", "dictionary key must be string"));
            }

            Raw("<member>\n<name>");
            Escaped(CheckText(name));
            Raw("</name>\n");
            Dump(item);
            Raw("</member>\n");
        }

        Raw("</struct></value>\n");
        Leave(identity);
    }

    /// <summary>Markup or text that needs no escaping, as UTF-8.</summary>
    private void Raw(ReadOnlySpan<char> text)
    {
        var span = _output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    /// <summary>
    /// CPython's <c>escape</c> (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>), and <c>\r</c> as <c>&amp;#xD;</c> so that it survives the
    /// receiving parser's line-end normalization.
    /// </summary>
    private void Escaped(string text)
    {
        var run = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var entity = text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\r' => "&#xD;",
                _ => null,
            };
            if (entity is not null)
            {
                Raw(text.AsSpan(run, i - run));
                Raw(entity);
                run = i + 1;
            }
        }

        Raw(text.AsSpan(run));
    }

    private void Enter(object identity, string recursiveMessage)
    {
        if (!_memo.Add(identity))
        {
            throw new XmlRpcException(PyException.Builtin("TypeError", recursiveMessage));
        }

        if (++_depth > _maxDepth)
        {
            throw new XmlRpcException(PyException.Builtin("RecursionError", $"XML-RPC nesting deeper than {_maxDepth} levels"));
        }
    }

    private void Leave(object identity)
    {
        _memo.Remove(identity);
        _depth--;
    }

    /// <summary>
    /// Refuses what an XML 1.0 document cannot hold: a lone surrogate (CPython: UnicodeEncodeError when the
    /// document is encoded) and C0 controls other than tab, line feed and carriage return (CPython writes them,
    /// and the peer's parser rejects the document).
    /// </summary>
    private static string CheckText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                throw new XmlRpcException(PyException.Create("builtins", "UnicodeEncodeError",
                    $"'utf-8' codec can't encode character '\\u{(int)c:x4}' in position {i}: surrogates not allowed"));
            }

            if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || c is '\uFFFE' or '\uFFFF')
            {
                throw new XmlRpcException(PyException.Builtin("ValueError",
                    $"XML-RPC cannot carry the character '\\x{(int)c:x2}' (position {i} of a str): XML 1.0 has no such character"));
            }
        }

        return text;
    }

    /// <summary>CPython's <c>_iso8601_format</c>: <c>%4Y%m%dT%H:%M:%S</c>, seconds only.</summary>
    private static string Iso8601(DateTime value) =>
        value.ToString("yyyyMMdd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);

    private static bool TryInteger(object value, out BigInteger integer)
    {
        switch (value)
        {
            case long l: integer = l; return true;
            case int i: integer = i; return true;
            case short s: integer = s; return true;
            case sbyte sb: integer = sb; return true;
            case byte b: integer = b; return true;
            case ushort us: integer = us; return true;
            case uint ui: integer = ui; return true;
            case ulong ul: integer = ul; return true;
            case BigInteger big: integer = big; return true;
            case Int128 i128: integer = (BigInteger)i128; return true;
            case UInt128 u128: integer = (BigInteger)u128; return true;
            default: integer = default; return false;
        }
    }

    /// <summary>CPython's <c>TypeError("cannot marshal %s objects" % type(value))</c>, with the Python class when known.</summary>
    private static XmlRpcException CannotMarshal(object value)
    {
        var cls = value switch
        {
            PyReduce r => r.ClassGlobal?.FullName ?? "object",
            PyGlobal => "type",
            PySet => "set",
            PyFrozenSet => "frozenset",
            PyDecimal or decimal => "decimal.Decimal",
            System.Numerics.Complex => "complex",
            DateOnly => "datetime.date",
            TimeOnly => "datetime.time",
            TimeSpan => "datetime.timedelta",
            Guid => "uuid.UUID",
            PickleBuffer => "pickle.PickleBuffer",
            PySingleton s => s == PySingleton.Ellipsis ? "ellipsis" : "NotImplementedType",
            _ => value.GetType().FullName ?? value.GetType().Name,
        };
        var what = value is PyGlobal g ? $" ({g.FullName}: a class or function reference)" : "";
        return new XmlRpcException(PyException.Builtin("TypeError", $"cannot marshal <class '{cls}'> objects{what}"));
    }
}
