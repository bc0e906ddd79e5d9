namespace Multiprocess.Queues;

/// <summary>Python's <c>queue.Empty</c>: nothing to get within the timeout (or at once, when not blocking). A <see cref="TimeoutException"/>, as the pickle codec maps
/// <c>queue.Empty</c>.</summary>
public sealed class QueueEmptyException : TimeoutException
{
    /// <summary>Initializes a new instance of the <see cref="QueueEmptyException"/> class.</summary>
    public QueueEmptyException()
        : base("queue.Empty")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QueueEmptyException"/> class with a message.</summary>
    /// <param name="message">What happened.</param>
    public QueueEmptyException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QueueEmptyException"/> class with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public QueueEmptyException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
