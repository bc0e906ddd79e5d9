namespace Multiprocess.Celery.Worker;

/// <summary>Thrown by a handler to run the task again after a delay (Celery's <c>Retry</c>); made by <see cref="TaskContext.Retry"/>.</summary>
public sealed class TaskRetryException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="TaskRetryException"/> class.</summary>
    public TaskRetryException()
        : this(TimeSpan.FromMinutes(3), null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TaskRetryException"/> class.</summary>
    /// <param name="message">The message.</param>
    public TaskRetryException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TaskRetryException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The reason.</param>
    public TaskRetryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TaskRetryException"/> class.</summary>
    /// <param name="countdown">The delay before the next attempt.</param>
    /// <param name="reason">The cause.</param>
    public TaskRetryException(TimeSpan countdown, Exception? reason)
        : base(reason is null ? $"Retry in {countdown.TotalSeconds:0.###}s" : $"Retry in {countdown.TotalSeconds:0.###}s: {reason.Message}", reason)
    {
        Countdown = countdown;
    }

    /// <summary>Gets the delay before the next attempt.</summary>
    public TimeSpan Countdown { get; }
}
