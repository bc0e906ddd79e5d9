namespace Multiprocess.Managers.Referents;

/// <summary>
/// The value cannot be pickled (a lock, a queue): the reply becomes <c>('#UNSERIALIZABLE', traceback)</c> whose last
/// line is <see cref="PythonError"/>, as CPython's server sends when pickling its reply fails.
/// </summary>
internal sealed class UnserializableException : Exception
{
    public UnserializableException()
        : this("TypeError: cannot pickle object")
    {
    }

    public UnserializableException(string pythonError)
        : base(pythonError) => PythonError = pythonError;

    public UnserializableException(string message, Exception innerException)
        : base(message, innerException) => PythonError = message;

    /// <summary>Gets the Python exception line, e.g. <c>TypeError: cannot pickle '_thread.lock' object</c>.</summary>
    public string PythonError { get; }

    /// <summary>What CPython says for objects holding a <c>_thread.lock</c>.</summary>
    public static UnserializableException ThreadLock() => new("TypeError: cannot pickle '_thread.lock' object");
}
