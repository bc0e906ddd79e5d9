namespace Multiprocess.Managers.Python;

/// <summary>
/// Python str semantics over .NET UTF-16 strings: lengths, slices and ordering count code points, so a character
/// outside the BMP is one item, as in Python.
/// </summary>
internal static class CodePoints
{
    /// <summary>The number of code points (a lone surrogate counts as one).</summary>
    public static int Count(string s)
    {
        var n = s.Length;
        for (var i = 0; i + 1 < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                n--;
                i++;
            }
        }

        return n;
    }

    /// <summary>Splits into one string per code point (Python's <c>list(s)</c>).</summary>
    public static List<object?> Split(string s)
    {
        var result = new List<object?>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (i + 1 < s.Length && char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                result.Add(s[i].ToString());
            }
        }

        return result;
    }

    /// <summary>Compares in code point order (Python's str ordering), not UTF-16 code unit order.</summary>
    public static int Compare(string a, string b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x != y)
            {
                return Fix(x).CompareTo(Fix(y));
            }
        }

        return a.Length.CompareTo(b.Length);

        // Surrogates (U+D800–DFFF) stand for code points above U+FFFF, so they must sort after U+E000–FFFF.
        static int Fix(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
    }

    /// <summary>Returns the single code point of a one-character string, or -1.</summary>
    public static int Single(string s)
    {
        if (s.Length == 1)
        {
            return s[0];
        }

        return s.Length == 2 && char.IsSurrogatePair(s[0], s[1]) ? char.ConvertToUtf32(s[0], s[1]) : -1;
    }
}
