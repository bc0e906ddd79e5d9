using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Multiprocess.Cli;

/// <summary>
/// The console logging of the long-running commands (<c>serve</c>, <c>celery worker</c>): one line per event on
/// stderr, since their stdout carries only the READY line that a parent waits for.
/// </summary>
internal static class StderrLogging
{
    /// <summary>Creates the logger factory; the caller disposes it, which writes what is still queued.</summary>
    /// <returns>A factory whose loggers write single lines with a timestamp to stderr, uncoloured when redirected.</returns>
    public static ILoggerFactory Create() => LoggerFactory.Create(b => b
        .SetMinimumLevel(LogLevel.Information)
        .AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss.fff ";
            c.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
        }));
}
