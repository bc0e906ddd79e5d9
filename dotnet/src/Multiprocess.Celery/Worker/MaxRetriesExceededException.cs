namespace Multiprocess.Celery.Worker;

/// <summary>A task asked to retry more often than allowed (Celery's <c>MaxRetriesExceededError</c>).</summary>
public sealed class MaxRetriesExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="MaxRetriesExceededException"/> class.</summary>
    public MaxRetriesExceededException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MaxRetriesExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    public MaxRetriesExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MaxRetriesExceededException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MaxRetriesExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
