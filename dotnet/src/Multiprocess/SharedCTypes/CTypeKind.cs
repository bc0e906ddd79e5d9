namespace Multiprocess.SharedCTypes;

/// <summary>What a ctype holds, which decides the .NET element types that may view it.</summary>
internal enum CTypeKind
{
    /// <summary>An integer (also c_char, c_wchar, c_void_p).</summary>
    Integer,

    /// <summary>An IEEE float (c_float, c_double).</summary>
    Float,

    /// <summary>c_bool.</summary>
    Bool,
}
