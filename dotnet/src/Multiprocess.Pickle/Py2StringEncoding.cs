namespace Multiprocess.Pickle;

/// <summary>How Python 2 <c>str</c> values in old pickles are decoded (Python's <c>Unpickler(encoding=...)</c>).</summary>
public enum Py2StringEncoding
{
    /// <summary>ASCII, strict: non-ASCII bytes are an error (CPython's default).</summary>
    Ascii,

    /// <summary>Latin-1: every byte maps to one character.</summary>
    Latin1,

    /// <summary>UTF-8, strict.</summary>
    Utf8,

    /// <summary>Keep them as bytes (<c>encoding='bytes'</c>).</summary>
    Bytes,
}
