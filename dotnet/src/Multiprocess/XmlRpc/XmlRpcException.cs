using Multiprocess.Pickle;

namespace Multiprocess.XmlRpc;

/// <summary>
/// A value that XML-RPC cannot carry, or a document that is not CPython's XML-RPC. <see cref="PythonError"/> is the
/// exception CPython raises in the same place (<c>TypeError: cannot marshal &lt;class 'set'&gt; objects</c>,
/// <c>OverflowError: int exceeds XML-RPC limits</c>, <c>xml.parsers.expat.ExpatError</c>, ...), so a server can
/// answer with the traceback line a Python client expects.
/// </summary>
public sealed class XmlRpcException : FormatException
{
    /// <summary>Initializes a new instance of the <see cref="XmlRpcException"/> class.</summary>
    /// <param name="pythonError">What CPython raises here.</param>
    public XmlRpcException(PyException pythonError)
        : this(pythonError, null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="XmlRpcException"/> class.</summary>
    /// <param name="pythonError">What CPython raises here.</param>
    /// <param name="inner">The underlying failure, if any.</param>
    public XmlRpcException(PyException pythonError, Exception? inner)
        : base(Describe(pythonError ?? throw new ArgumentNullException(nameof(pythonError))), inner)
    {
        PythonError = pythonError;
    }

    /// <summary>Initializes a new instance of the <see cref="XmlRpcException"/> class (a TypeError with this message).</summary>
    public XmlRpcException()
        : this(PyException.Builtin("TypeError", "XML-RPC error"))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="XmlRpcException"/> class (a TypeError with this message).</summary>
    /// <param name="message">The message.</param>
    public XmlRpcException(string message)
        : this(PyException.Builtin("TypeError", message))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="XmlRpcException"/> class (a TypeError with this message).</summary>
    /// <param name="message">The message.</param>
    /// <param name="inner">The underlying failure.</param>
    public XmlRpcException(string message, Exception inner)
        : this(PyException.Builtin("TypeError", message), inner)
    {
    }

    /// <summary>Gets the Python exception CPython raises for the same value or document.</summary>
    public PyException PythonError { get; }

    /// <summary>The traceback's last line: <c>TypeError: cannot marshal ...</c>.</summary>
    private static string Describe(PyException e)
    {
        var name = e.Type.Module is "builtins" ? e.Type.Name : e.Type.FullName;
        return e.Message.Length == 0 ? name : $"{name}: {e.Message}";
    }
}
