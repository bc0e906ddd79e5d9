namespace Multiprocess.Queues;

/// <summary>Python's <c>queue.Full</c>: no room to put within the timeout (or at once, when not blocking): the queue holds maxsize items. A <see cref="TimeoutException"/>, as the pickle codec maps
/// <c>queue.Full</c>.</summary>
public sealed class QueueFullException : TimeoutException
{
    /// <summary>Initializes a new instance of the <see cref="QueueFullException"/> class.</summary>
    public QueueFullException()
        : base("queue.Full")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QueueFullException"/> class with a message.</summary>
    /// <param name="message">What happened.</param>
    public QueueFullException(string? message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="QueueFullException"/> class with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public QueueFullException(string? message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
