namespace Multiprocess.Pickle;

/// <summary>The root of the codec's errors (Python's <c>pickle.PickleError</c>).</summary>
public class PickleException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PickleException"/> class.</summary>
    public PickleException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PickleException"/> class with a message.</summary>
    /// <param name="message">What went wrong, with the offending value or offset.</param>
    public PickleException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PickleException"/> class with a message and cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PickleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
