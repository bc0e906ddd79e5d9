namespace Multiprocess.Pickle;

/// <summary>A value cannot be pickled (Python's <c>pickle.PicklingError</c>): an unsupported type, too deep, a bad reduce value.</summary>
public class PicklingException : PickleException
{
    /// <summary>Initializes a new instance of the <see cref="PicklingException"/> class.</summary>
    public PicklingException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PicklingException"/> class with a message.</summary>
    /// <param name="message">What could not be pickled and why.</param>
    public PicklingException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PicklingException"/> class with a message and cause.</summary>
    /// <param name="message">What could not be pickled.</param>
    /// <param name="innerException">The cause.</param>
    public PicklingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
