using System.Text;

namespace Multiprocess.XmlRpc;

/// <content>Character data: text with its entity and character references, CDATA sections, line ends normalized, and
/// the check that every character is one XML 1.0 allows (expat's "not well-formed (invalid token)").</content>
internal sealed partial class XmlScanner
{
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

    /// <summary>XML 1.0's Char; a surrogate is one half of a pair here (the text was decoded from UTF-8).</summary>
    private static bool IsXmlChar(char c) => c >= 0x20 ? c is not ('\uFFFE' or '\uFFFF') : c is '\t' or '\n' or '\r';
}
