namespace Multiprocess.XmlRpc;

/// <content>Tags: start, end and empty-element tags, their attributes (checked, then skipped), and XML 1.0 names; the
/// element's local name is what <c>Unmarshaller.start</c> sees.</content>
internal sealed partial class XmlScanner
{
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

    private static string LocalName(string name) => name.LastIndexOf(':') is var colon and >= 0 ? name[(colon + 1)..] : name;

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
}
