using System.Globalization;
using System.Numerics;
using System.Text;
using Multiprocess.Pickle;

namespace Multiprocess.XmlRpc;

/// <summary>
/// CPython's <c>xmlrpc.client.Unmarshaller</c> fed by <see cref="XmlScanner"/> instead of expat, event for event
/// (<c>start</c>, <c>data</c>, <c>end</c>), so it accepts exactly what CPython's <c>loads</c> accepts and builds the
/// same values: <c>array</c> → <c>List&lt;object?&gt;</c>, <c>struct</c> → <see cref="PyDict"/>, <c>i4</c>/<c>int</c>/<c>i8</c>/...
/// → <c>long</c> (<see cref="BigInteger"/> beyond), <c>base64</c> → <c>byte[]</c>, <c>dateTime.iso8601</c> →
/// <see cref="XmlRpcDateTime"/>, <c>bigdecimal</c> → <see cref="PyDecimal"/>, <c>nil</c> → null.
/// </summary>
/// <remarks>
/// Stricter than expat where input may be hostile: no DTD at all (so no entity expansion, no external resource) and a
/// nesting cap; every error names the line and column, or the element, where it happened.
/// </remarks>
internal sealed class XmlRpcReader
{
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly StringBuilder _data = new();
    private bool _value;
    private string? _type;

    /// <summary>Reads a document and returns its params (<c>Unmarshaller.close()</c>).</summary>
    /// <exception cref="XmlRpcException">Not UTF-8, not well-formed XML, a DTD, over the nesting limit, or not XML-RPC.</exception>
    public static List<object?> ReadParams(ReadOnlySpan<byte> document, int maxDepth)
    {
        var reader = new XmlRpcReader();
        var xml = XmlScanner.Create(document);
        while (xml.Read(reader._data, out var node))
        {
            switch (node)
            {
                case XmlNode.Element:
                    if (xml.Depth >= maxDepth)
                    {
                        throw At(xml, PyException.Builtin("RecursionError", $"XML-RPC nesting deeper than {maxDepth} elements at <{xml.Name}>"));
                    }

                    reader.Start(xml, xml.Name);
                    if (xml.IsEmpty)
                    {
                        reader.End(xml, xml.Name);
                    }

                    break;
                case XmlNode.EndElement:
                    reader.End(xml, xml.Name);
                    break;
            }
        }

        return reader.Close();
    }

    private List<object?> Close()
    {
        if (_type is null || _marks.Count > 0)
        {
            throw new XmlRpcException(PyException.Create("xmlrpc.client", "ResponseError",
                _type is null ? "no <params> (or <fault>) element: not an XML-RPC document" : "unclosed <array> or <struct>"));
        }

        if (_type == "fault")
        {
            var fault = _stack.Count > 0 ? _stack[0] as PyDict : null;
            throw new XmlRpcException(PyException.Create("xmlrpc.client", "Fault",
                fault is null ? "a <fault> without a struct" : $"<Fault {PyRepr.Str(fault.Get("faultCode"))}: {PyRepr.Repr(fault.Get("faultString"))}>"));
        }

        return _stack;
    }

    private void Start(XmlScanner xml, string tag)
    {
        if (tag is "array" or "struct")
        {
            _marks.Add(_stack.Count);
        }

        _data.Clear();
        if (_value && !IsKnown(tag))
        {
            throw At(xml, PyException.Create("xmlrpc.client", "ResponseError", $"unknown tag '{tag}'"));
        }

        _value = tag == "value";
    }

    private void End(XmlScanner xml, string tag)
    {
        var data = _data.ToString();
        switch (tag)
        {
            case "nil":
                Push(null);
                break;
            case "boolean":
                Push(data switch
                {
                    "0" => false,
                    "1" => true,
                    _ => throw At(xml, PyException.Builtin("TypeError", "bad boolean value")),
                });
                break;
            case "i1" or "i2" or "i4" or "i8" or "int" or "biginteger":
                Push(ParseInt(xml, data));
                break;
            case "double" or "float":
                Push(ParseFloat(xml, data));
                break;
            case "bigdecimal":
                Push(PyDecimal.TryParse(data.Trim(), out var dec) ? dec : throw At(xml, PyException.Create("decimal", "InvalidOperation", $"[<class 'decimal.ConversionSyntax'>] {PyRepr.Repr(data)}")));
                break;
            case "string" or "name":
                Push(data);
                break;
            case "array":
                var mark = PopMark();
                var items = _stack.GetRange(mark, _stack.Count - mark);
                _stack.RemoveRange(mark, _stack.Count - mark);
                Push(items);
                break;
            case "struct":
                Push(EndStruct(xml));
                break;
            case "base64":
                Push(DecodeBase64(xml, data));
                break;
            case "dateTime.iso8601":
                _stack.Add(new XmlRpcDateTime(data.Trim()));   // end_dateTime leaves _value as it is
                break;
            case "value":
                if (_value)
                {
                    Push(data);   // <value>text</value>: a string
                }

                break;
            case "params":
                _type = "params";
                break;
            case "fault":
                _type = "fault";
                break;
            case "methodName":
                _type = "methodName";
                break;
        }
    }

    private PyDict EndStruct(XmlScanner xml)
    {
        var mark = PopMark();
        var dict = new PyDict();
        var count = _stack.Count - mark;
        if (count % 2 != 0)
        {
            throw At(xml, PyException.Builtin("IndexError", "list index out of range (a <member> without both <name> and <value>)"));
        }

        for (var i = mark; i < _stack.Count; i += 2)
        {
            try
            {
                dict[_stack[i]] = _stack[i + 1];
            }
            catch (Exception e) when (e is UnhashableException or ArgumentException)
            {
                throw At(xml, PyException.Builtin("TypeError", $"unhashable type: '{PyRepr.TypeName(_stack[i])}' (a <struct> member name)"));
            }
        }

        _stack.RemoveRange(mark, count);
        return dict;
    }

    private int PopMark()
    {
        var mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        return mark;
    }

    private void Push(object? value)
    {
        _stack.Add(value);
        _value = false;
    }

    private static bool IsKnown(string tag) => tag is "nil" or "boolean" or "i1" or "i2" or "i4" or "i8" or "int" or "biginteger"
        or "double" or "float" or "bigdecimal" or "string" or "name" or "array" or "struct" or "base64" or "dateTime.iso8601"
        or "value" or "params" or "fault" or "methodName";

    /// <summary>Python's <c>int(text)</c>: surrounding whitespace, a sign, digits with single underscores between them.</summary>
    private static object ParseInt(XmlScanner xml, string data)
    {
        var text = data.Trim();
        var digits = StripUnderscores(text.StartsWith('+') || text.StartsWith('-') ? text[1..] : text);
        if (digits is null || digits.Length == 0 || !digits.All(char.IsAsciiDigit))
        {
            throw At(xml, PyException.Builtin("ValueError", $"invalid literal for int() with base 10: {PyRepr.Repr(data)}"));
        }

        var negative = text.StartsWith('-');
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var small))
        {
            return negative ? -small : small;
        }

        var big = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        big = negative ? -big : big;
        return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
    }

    /// <summary>Python's <c>float(text)</c>: decimal or exponent form, <c>inf</c>/<c>infinity</c>/<c>nan</c> in any case, underscores between digits.</summary>
    private static double ParseFloat(XmlScanner xml, string data)
    {
        var text = data.Trim();
        var body = text.StartsWith('+') || text.StartsWith('-') ? text[1..] : text;
        var sign = text.StartsWith('-') ? -1.0 : 1.0;
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            return sign * double.PositiveInfinity;
        }

        if (body.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            return double.NaN;
        }

        var cleaned = StripUnderscores(body);
        if (cleaned is not null && cleaned.Length > 0 && cleaned.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')
            && double.TryParse(cleaned, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value))
        {
            return sign * value;
        }

        throw At(xml, PyException.Builtin("ValueError", $"could not convert string to float: {PyRepr.Repr(data)}"));
    }

    /// <summary>Removes underscores that sit between two digits; null if one sits anywhere else.</summary>
    private static string? StripUnderscores(string text)
    {
        if (!text.Contains('_', StringComparison.Ordinal))
        {
            return text;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '_' && (i == 0 || i == text.Length - 1 || !char.IsAsciiDigit(text[i - 1]) || !char.IsAsciiDigit(text[i + 1])))
            {
                return null;
            }
        }

        return text.Replace("_", "", StringComparison.Ordinal);
    }

    /// <summary><c>base64.decodebytes</c> (binascii's non-strict mode): characters outside the alphabet are skipped.</summary>
    private static byte[] DecodeBase64(XmlScanner xml, string data)
    {
        var kept = new StringBuilder(data.Length);
        foreach (var c in data)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')
            {
                kept.Append(c);
            }
        }

        var text = kept.ToString();
        var end = text.IndexOf('=', StringComparison.Ordinal);
        var significant = end < 0 ? text.Length : end;
        var padded = text[..significant] + new string('=', (4 - (significant % 4)) % 4);
        if (significant % 4 == 1 || (end >= 0 && padded.Length > text.Length))
        {
            throw At(xml, PyException.Create("binascii", "Error", "Incorrect padding"));
        }

        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException e)
        {
            throw new XmlRpcException(PyException.Create("binascii", "Error", $"{e.Message} (in <base64>, {xml.Where})"), e);
        }
    }

    private static XmlRpcException At(XmlScanner xml, PyException error)
    {
        var located = new PyException(error.Type, PyTuple.Create($"{error.Message} ({xml.Where})"));
        return new XmlRpcException(located);
    }
}
