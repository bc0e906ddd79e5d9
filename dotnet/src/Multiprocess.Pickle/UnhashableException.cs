namespace Multiprocess.Pickle;

/// <summary>
/// A value Python cannot hash (a list, dict, set or bytearray; a signaling-NaN Decimal) was used as a dict key or set
/// item: Python's <c>TypeError: unhashable type: 'list'</c> (or <c>Cannot hash a signaling NaN value.</c>). An <see cref="ArgumentException"/>, so callers that catch bad arguments
/// still see it; callers that answer Python (the manager server) catch this type and raise the TypeError.
/// </summary>
public sealed class UnhashableException : ArgumentException
{
    /// <summary>Initializes a new instance of the <see cref="UnhashableException"/> class.</summary>
    public UnhashableException()
        : this("object")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnhashableException"/> class for a Python type.</summary>
    /// <param name="typeName">The Python type name of the value (<c>list</c>, <c>dict</c>...).</param>
    public UnhashableException(string typeName)
        : this(typeName, "key")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnhashableException"/> class for a Python type and a parameter.</summary>
    /// <param name="typeName">The Python type name of the value.</param>
    /// <param name="paramName">The parameter that held it.</param>
    public UnhashableException(string typeName, string? paramName)
        : this(typeName, PythonMessageOf(typeName), paramName)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnhashableException"/> class with Python's own message.</summary>
    /// <param name="typeName">The Python type name of the value.</param>
    /// <param name="pythonMessage">The TypeError's text, e.g. <c>Cannot hash a signaling NaN value.</c></param>
    /// <param name="paramName">The parameter that held it.</param>
    public UnhashableException(string typeName, string pythonMessage, string? paramName)
        : base(pythonMessage, paramName)
    {
        TypeName = typeName;
        PythonMessage = pythonMessage;
    }

    /// <summary>Initializes a new instance of the <see cref="UnhashableException"/> class with a cause.</summary>
    /// <param name="typeName">The Python type name of the value.</param>
    /// <param name="innerException">The cause.</param>
    public UnhashableException(string typeName, Exception innerException)
        : base(PythonMessageOf(typeName), innerException)
    {
        TypeName = typeName;
        PythonMessage = PythonMessageOf(typeName);
    }

    /// <summary>Gets the Python type name of the value (<c>list</c>, <c>dict</c>, <c>set</c>, <c>bytearray</c>...).</summary>
    public string TypeName { get; }

    /// <summary>Gets Python's message, without the parameter name .NET appends to <see cref="ArgumentException.Message"/>.</summary>
    public string PythonMessage { get; }

    private static string PythonMessageOf(string typeName) => $"unhashable type: '{typeName}'";
}
