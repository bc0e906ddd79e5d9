using Microsoft.Extensions.Logging;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>A logger writing one line per entry to the test's progress output (seen live with <c>-v n</c> and in the log of a failed run).</summary>
public sealed class ProgressLogger : ILogger
{
    private ProgressLogger()
    {
    }

    /// <summary>Gets the one instance.</summary>
    public static ProgressLogger Instance { get; } = new();

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var w = TestContext.Progress;
        lock (w)
        {
            w.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {logLevel}: {formatter(state, exception)}");
        }
    }
}
