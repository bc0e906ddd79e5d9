namespace Multiprocess.Synchronize;

/// <summary>A <see cref="Barrier"/> was broken (reset, aborted, timed out or its action failed) while waiting or before
/// (Python's <c>threading.BrokenBarrierError</c>).</summary>
public sealed class BrokenBarrierException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BrokenBarrierException()
        : base("the barrier is broken")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public BrokenBarrierException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BrokenBarrierException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
