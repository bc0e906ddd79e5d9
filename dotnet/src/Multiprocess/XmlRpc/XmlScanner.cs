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
internal sealed partial class XmlScanner
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

    private bool SkipSpace()
    {
        var start = _pos;
        while (_pos < _text.Length && IsSpace(_text[_pos]))
        {
            _pos++;
        }

        return _pos > start;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r';

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
