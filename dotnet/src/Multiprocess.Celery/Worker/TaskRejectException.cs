namespace Multiprocess.Celery.Worker;

/// <summary>Thrown by a handler to reject its message (Celery's <c>Reject</c>): requeued to the back of its queue, or dropped.</summary>
public sealed class TaskRejectException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="TaskRejectException"/> class.</summary>
    public TaskRejectException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TaskRejectException"/> class.</summary>
    /// <param name="message">The message.</param>
    public TaskRejectException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TaskRejectException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TaskRejectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets or sets a value indicating whether the message goes back on its queue.</summary>
    public bool Requeue { get; set; }
}
