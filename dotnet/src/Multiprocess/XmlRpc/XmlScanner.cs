using System.Text;
using Multiprocess.Pickle;

namespace Multiprocess.XmlRpc;

/// <summary>The nodes <see cref="XmlScanner"/> reports.</summary>
internal enum XmlNode
{
    /// <summary>A start tag, or an empty-element tag (<see cref="XmlScanner.IsEmpty"/>).</summary>
    Element,

    /// <summary>An end tag.</summary>
    EndElement,

    /// <summary>Character data (text or a CDATA section), appended to the caller's buffer.</summary>
    Text,
}

/// <summary>
/// The XML 1.0 an XML-RPC document is written in, read without System.Xml (which would be a tenth of the native
/// library for this one use: docs/native.md): start, end and empty-element tags (attributes are checked and
/// skipped: XML-RPC has none, and CPython's <c>Unmarshaller</c> ignores them), text with the five predefined entities
/// and character references, CDATA sections, comments and processing instructions (skipped), an XML declaration at
/// the start, line ends normalized to <c>\n</c>. Well-formedness is checked as expat checks it (matching tags, one
/// root element, only XML characters, no <c>]]&gt;</c> in text, no <c>--</c> in a comment), and its errors are
/// expat's (<c>xml.parsers.expat.ExpatError</c>) with the line and column (1-based). A DTD (<c>&lt;!DOCTYPE</c>) is
/// refused: no entity is ever declared, so none can expand or fetch anything.
/// </summary>
/// <remarks>
/// The document is UTF-8 whatever its declaration says, as for CPython: <c>_xml_loads</c> decodes the bytes as UTF-8
/// before the parser sees them (Lib/multiprocessing/connection.py), and bytes that are not UTF-8 fail there, with
/// UnicodeDecodeError.
/// </remarks>
internal sealed class XmlScanner
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly string _text;
    private readonly List<string> _open = [];
    private int _pos;
    private bool _rootEnded;

    private XmlScanner(string text)
    {
        _text = text;
        _pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
    }

    /// <summary>Gets the local name of the element whose tag was read last (the part after a namespace prefix, as <c>Unmarshaller.start</c> takes it).</summary>
    public string Name { get; private set; } = "";

    /// <summary>Gets a value indicating whether the element read last is an empty-element tag (<c>&lt;nil/&gt;</c>): no end tag follows.</summary>
    public bool IsEmpty { get; private set; }

    /// <summary>Gets the number of elements enclosing the element read last (0 for the root).</summary>
    public int Depth { get; private set; }

    /// <summary>Gets where the node read last starts (its name, for a tag), as "line L, column C".</summary>
    public string Where => Position(NodeAt);

    private int NodeAt { get; set; }

    /// <summary>Decodes a document (UTF-8, as <c>_xml_loads</c> does) for scanning.</summary>
    /// <exception cref="XmlRpcException">The bytes are not UTF-8 (CPython's UnicodeDecodeError).</exception>
    public static XmlScanner Create(ReadOnlySpan<byte> document)
    {
        try
        {
            return new XmlScanner(s_strictUtf8.GetString(document));
        }
        catch (DecoderFallbackException e)
        {
            throw new XmlRpcException(PyException.Builtin("UnicodeDecodeError", $"'utf-8' codec can't decode {DecodeError(document, e.Index)}"), e);
        }
    }

    /// <summary>The rest of CPython's UnicodeDecodeError message for the invalid sequence at <paramref name="at"/>.</summary>
    private static string DecodeError(ReadOnlySpan<byte> document, int at)
    {
        if (at < 0 || at >= document.Length)
        {
            return $"bytes at position {at}: invalid UTF-8";
        }

        var lead = document[at];
        var length = lead switch { >= 0xC2 and <= 0xDF => 2, >= 0xE0 and <= 0xEF => 3, >= 0xF0 and <= 0xF4 => 4, _ => 0 };
        if (length == 0)
        {
            return $"byte 0x{lead:x2} in position {at}: invalid start byte";
        }

        // The bytes that follow the lead and are continuation bytes (0x80-0xBF): if the document ends among them, the
        // sequence is truncated; otherwise the first other byte is the invalid one.
        var end = at + 1;
        while (end < document.Length && end < at + length && (document[end] & 0xC0) == 0x80)
        {
            end++;
        }

        return end == document.Length && end < at + length
            ? end - at == 1 ? $"byte 0x{lead:x2} in position {at}: unexpected end of data" : $"bytes in position {at}-{end - 1}: unexpected end of data"
            : $"byte 0x{lead:x2} in position {at}: invalid continuation byte";
    }

    /// <summary>Reads the next node; character data is appended to <paramref name="text"/>.</summary>
    /// <returns>False at the end of the document (after its root element closed).</returns>
    /// <exception cref="XmlRpcException">The document is not well-formed, or has a DTD (expat's ExpatError, positioned).</exception>
    public bool Read(StringBuilder text, out XmlNode node)
    {
        node = XmlNode.Text;
        while (true)
        {
            NodeAt = _pos;
            if (_pos >= _text.Length)
            {
                if (_open.Count > 0 || !_rootEnded)
                {
                    throw Error("no element found", _pos);
                }

                return false;
            }

            if (_text[_pos] != '<')
            {
                if (_open.Count == 0)
                {
                    SkipSpaceOutsideRoot();
                    continue;
                }

                ReadText(text);
                return true;
            }

            if (At("<?"))
            {
                SkipProcessingInstruction();
            }
            else if (At("<!--"))
            {
                SkipComment();
            }
            else if (At("<![CDATA["))
            {
                if (_open.Count == 0)
                {
                    throw Error(_rootEnded ? "junk after document element" : "syntax error", _pos);
                }

                ReadCData(text);
                return true;
            }
            else if (At("<!DOCTYPE"))
            {
                throw Error("a DTD (<!DOCTYPE>) is refused in an XML-RPC document: it could declare entities that expand without bound or name external resources", _pos);
            }
            else if (At("</"))
            {
                ReadEndTag();
                node = XmlNode.EndElement;
                return true;
            }
            else
            {
                ReadStartTag();
                node = XmlNode.Element;
                return true;
            }
        }
    }

    private bool At(string literal) => string.CompareOrdinal(_text, _pos, literal, 0, literal.Length) == 0;

    private void SkipSpaceOutsideRoot()
    {
        while (_pos < _text.Length && _text[_pos] != '<')
        {
            if (!IsSpace(_text[_pos]))
            {
                throw Error(_rootEnded ? "junk after document element" : "not well-formed (invalid token)", _pos);
            }

            _pos++;
        }
    }

    private void SkipProcessingInstruction()
    {
        var start = _pos;
        _pos += 2;
        var target = ReadName();
        if (target.Equals("xml", StringComparison.OrdinalIgnoreCase) && (target != "xml" || start > (_text.Length > 0 && _text[0] == '\uFEFF' ? 1 : 0)))
        {
            throw Error("XML or text declaration not at start of entity", start);
        }

        var end = _text.IndexOf("?>", _pos, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("unclosed token", start);
        }

        if (end > _pos && !IsSpace(_text[_pos]))
        {
            throw Error("not well-formed (invalid token)", _pos);
        }

        CheckChars(_pos, end);
        _pos = end + 2;
    }

    private void SkipComment()
    {
        var start = _pos;
        _pos += 4;
        var end = _text.IndexOf("--", _pos, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("unclosed token", start);
        }

        if (end + 2 >= _text.Length || _text[end + 2] != '>')
        {
            throw Error("not well-formed (invalid token)", end);
        }

        CheckChars(_pos, end);
        _pos = end + 3;
    }

    private void ReadCData(StringBuilder text)
    {
        var start = _pos;
        _pos += 9;
        var end = _text.IndexOf("]]>", _pos, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("unclosed CDATA section", start);
        }

        AppendChars(text, _pos, end);
        _pos = end + 3;
    }

    private void ReadText(StringBuilder text)
    {
        var run = _pos;
        while (_pos < _text.Length && _text[_pos] != '<')
        {
            var c = _text[_pos];
            if (c == '&')
            {
                AppendChars(text, run, _pos);
                text.Append(ReadReference());
                run = _pos;
            }
            else if (c == '>' && _pos >= 2 && _text[_pos - 1] == ']' && _text[_pos - 2] == ']')
            {
                throw Error("not well-formed (invalid token): ']]>' in text", _pos - 2);
            }
            else
            {
                _pos++;
            }
        }

        AppendChars(text, run, _pos);
    }

    /// <summary>Appends text[from..to] with line ends normalized (\r\n and \r become \n), after checking its characters.</summary>
    private void AppendChars(StringBuilder text, int from, int to)
    {
        CheckChars(from, to);
        for (var i = from; i < to; i++)
        {
            var c = _text[i];
            if (c == '\r')
            {
                text.Append('\n');
                if (i + 1 < to && _text[i + 1] == '\n')
                {
                    i++;
                }
            }
            else
            {
                text.Append(c);
            }
        }
    }

    /// <summary>An entity or character reference at <c>&amp;</c>: its text.</summary>
    private string ReadReference()
    {
        var start = _pos;
        var end = _text.IndexOf(';', _pos);
        if (end < 0 || end - start > 12)
        {
            throw Error("not well-formed (invalid token): '&' starts no reference", start);
        }

        var body = _text.AsSpan(start + 1, end - start - 1);
        _pos = end + 1;
        switch (body)
        {
            case "amp": return "&";
            case "lt": return "<";
            case "gt": return ">";
            case "quot": return "\"";
            case "apos": return "'";
        }

        if (body.Length < 2 || body[0] != '#')
        {
            throw Error(body.Length > 0 && IsNameStart(body[0]) ? $"undefined entity &{body};" : "not well-formed (invalid token)", start);
        }

        var hex = body[1] == 'x';
        var digits = body[(hex ? 2 : 1)..];
        var code = 0;
        foreach (var d in digits)
        {
            var v = d is >= '0' and <= '9' ? d - '0' : hex && (d | 0x20) is >= 'a' and <= 'f' ? (d | 0x20) - 'a' + 10 : -1;
            if (v < 0)
            {
                throw Error("not well-formed (invalid token)", start);
            }

            code = (code * (hex ? 16 : 10)) + v;
            if (code > 0x10FFFF)
            {
                break;
            }
        }

        if (digits.Length == 0 || code > 0x10FFFF || (code < 0x10000 && !IsXmlChar((char)code)) || code is >= 0xD800 and <= 0xDFFF)
        {
            throw Error("reference to invalid character number", start);
        }

        return char.ConvertFromUtf32(code);
    }

    private void ReadStartTag()
    {
        if (_rootEnded)
        {
            throw Error("junk after document element", _pos);
        }

        _pos++;
        var nameAt = _pos;
        var name = ReadName();
        var attributes = new List<string>();
        while (true)
        {
            var spaced = SkipSpace();
            if (_pos >= _text.Length)
            {
                throw Error("unclosed token", nameAt - 1);
            }

            if (_text[_pos] == '>')
            {
                _pos++;
                IsEmpty = false;
                break;
            }

            if (At("/>"))
            {
                _pos += 2;
                IsEmpty = true;
                break;
            }

            if (!spaced)
            {
                throw Error("not well-formed (invalid token)", _pos);
            }

            ReadAttribute(attributes);
        }

        NodeAt = nameAt;
        Depth = _open.Count;
        Name = LocalName(name);
        if (IsEmpty)
        {
            _rootEnded = _open.Count == 0;
        }
        else
        {
            _open.Add(name);
        }
    }

    private void ReadAttribute(List<string> seen)
    {
        var at = _pos;
        var name = ReadName();
        if (seen.Contains(name))
        {
            throw Error("duplicate attribute", at);
        }

        seen.Add(name);
        SkipSpace();
        if (_pos >= _text.Length || _text[_pos] != '=')
        {
            throw Error("not well-formed (invalid token)", _pos);
        }

        _pos++;
        SkipSpace();
        if (_pos >= _text.Length || _text[_pos] is not ('"' or '\''))
        {
            throw Error("not well-formed (invalid token)", _pos);
        }

        var quote = _text[_pos++];
        while (_pos < _text.Length && _text[_pos] != quote)
        {
            if (_text[_pos] == '<')
            {
                throw Error("not well-formed (invalid token)", _pos);
            }

            if (_text[_pos] == '&')
            {
                ReadReference();
            }
            else
            {
                CheckChars(_pos, _pos + 1);
                _pos++;
            }
        }

        if (_pos >= _text.Length)
        {
            throw Error("unclosed token", at);
        }

        _pos++;
    }

    private void ReadEndTag()
    {
        var start = _pos;
        _pos += 2;
        var nameAt = _pos;
        var name = ReadName();
        SkipSpace();
        if (_pos >= _text.Length || _text[_pos] != '>')
        {
            throw Error(_pos >= _text.Length ? "unclosed token" : "not well-formed (invalid token)", _pos >= _text.Length ? start : _pos);
        }

        _pos++;
        if (_open.Count == 0 || _open[^1] != name)
        {
            throw Error(_open.Count == 0 ? "junk after document element" : $"mismatched tag: </{name}> closes <{_open[^1]}>", start);
        }

        _open.RemoveAt(_open.Count - 1);
        _rootEnded = _open.Count == 0;
        NodeAt = nameAt;
        Depth = _open.Count;
        Name = LocalName(name);
    }

    private string ReadName()
    {
        var start = _pos;
        if (_pos >= _text.Length || !IsNameStartAt(_pos))
        {
            throw Error(_pos >= _text.Length ? "unclosed token" : "not well-formed (invalid token)", _pos);
        }

        _pos += char.IsHighSurrogate(_text[_pos]) ? 2 : 1;
        while (_pos < _text.Length && IsNameCharAt(_pos))
        {
            _pos += char.IsHighSurrogate(_text[_pos]) ? 2 : 1;
        }

        return _text[start.._pos];
    }

    private bool SkipSpace()
    {
        var start = _pos;
        while (_pos < _text.Length && IsSpace(_text[_pos]))
        {
            _pos++;
        }

        return _pos > start;
    }

    /// <summary>Refuses a character XML 1.0 has not (C0 controls but tab, LF and CR; U+FFFE, U+FFFF) in text[from..to].</summary>
    private void CheckChars(int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (!IsXmlChar(_text[i]))
            {
                throw Error($"not well-formed (invalid token): the character U+{(int)_text[i]:X4} is not allowed in XML", i);
            }
        }
    }

    private static string LocalName(string name) => name.LastIndexOf(':') is var colon and >= 0 ? name[(colon + 1)..] : name;

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r';

    /// <summary>XML 1.0's Char; a surrogate is one half of a pair here (the text was decoded from UTF-8).</summary>
    private static bool IsXmlChar(char c) => c >= 0x20 ? c is not ('\uFFFE' or '\uFFFF') : c is '\t' or '\n' or '\r';

    private bool IsNameStartAt(int i) =>
        char.IsHighSurrogate(_text[i]) ? i + 1 < _text.Length && char.ConvertToUtf32(_text[i], _text[i + 1]) < 0xF0000 : IsNameStart(_text[i]);

    private bool IsNameCharAt(int i) =>
        char.IsHighSurrogate(_text[i]) ? IsNameStartAt(i) : IsNameChar(_text[i]);

    /// <summary>XML 1.0 (fifth edition) NameStartChar, within the Basic Multilingual Plane.</summary>
    private static bool IsNameStart(char c) =>
        c is ':' or '_' or (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '\u00C0' and <= '\u00D6') or (>= '\u00D8' and <= '\u00F6')
            or (>= '\u00F8' and <= '\u02FF') or (>= '\u0370' and <= '\u037D') or (>= '\u037F' and <= '\u1FFF') or '\u200C' or '\u200D'
            or (>= '\u2070' and <= '\u218F') or (>= '\u2C00' and <= '\u2FEF') or (>= '\u3001' and <= '\uD7FF') or (>= '\uF900' and <= '\uFDCF')
            or (>= '\uFDF0' and <= '\uFFFD');

    /// <summary>XML 1.0 (fifth edition) NameChar, within the Basic Multilingual Plane.</summary>
    private static bool IsNameChar(char c) =>
        IsNameStart(c) || c is '-' or '.' or (>= '0' and <= '9') or '\u00B7' or (>= '\u0300' and <= '\u036F') or '\u203F' or '\u2040';

    private XmlRpcException Error(string message, int at) =>
        new(PyException.Create("xml.parsers.expat", "ExpatError", $"{message}: {Position(at)}"));

    /// <summary>"line L, column C" of an index (1-based; \r\n and a lone \r end a line, as XML counts them).</summary>
    private string Position(int at)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < at && i < _text.Length; i++)
        {
            if (_text[i] == '\n' || (_text[i] == '\r' && (i + 1 >= _text.Length || _text[i + 1] != '\n')))
            {
                line++;
                lineStart = i + 1;
            }
        }

        return $"line {line}, column {at - lineStart + 1}";
    }
}
