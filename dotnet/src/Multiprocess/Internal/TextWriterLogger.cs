using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Multiprocess.Internal;

/// <summary>
/// An <see cref="ILogger"/> that writes one line per entry, <c>HH:mm:ss.fff message</c>, to a
/// <see cref="TextWriter"/> under a lock on it: the shim's server log file (Multiprocess.Interop) and tests that read
/// what was logged. Console output is the CLI's, through Microsoft.Extensions.Logging.Console.
/// </summary>
/// <param name="writer">Where the lines go; flushed after each.</param>
/// <param name="minimum">The lowest level written.</param>
internal sealed class TextWriterLogger(TextWriter writer, LogLevel minimum = LogLevel.Trace) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} {formatter(state, exception)}");
        lock (writer)
        {
            writer.WriteLine(exception is null ? line : line + Environment.NewLine + exception);
            writer.Flush();
        }
    }
}
