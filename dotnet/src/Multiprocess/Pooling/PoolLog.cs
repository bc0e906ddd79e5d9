using Microsoft.Extensions.Logging;

namespace Multiprocess.Pooling;

/// <summary>What a <see cref="Pool"/> logs (<see cref="PoolOptions.Logger"/>): CPython's pool.py says these through
/// <c>util.debug</c>/<c>util.warning</c>, silent unless logging is set up; so here without a logger.</summary>
internal static partial class PoolLog
{
    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Pool: {Message}")]
    public static partial void Broken(ILogger logger, string message);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Pool: ignoring an unexpected result message {Message}")]
    public static partial void UnexpectedResult(ILogger logger, string message);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Pool: a thread is still blocked reading a pool queue after its write end closed (another process holds it); leaving the queue open")]
    public static partial void QueueLeftOpen(ILogger logger);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "{Worker}: ignoring a task that does not unpickle: {Reason}")]
    public static partial void TaskNotUnpickled(ILogger logger, string worker, string reason);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "{Worker}: ignoring a task that is not (job, i, func, args, kwds): {Task}")]
    public static partial void TaskMalformed(ILogger logger, string worker, string task);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Pool: worker process {Pid} exited with code {ExitCode} while writing the result of task {Index} of job {Job}; {Discarded} bytes of its frame discarded, the result pipe is in step again")]
    public static partial void ResultWriterDied(ILogger logger, int pid, int exitCode, long job, long index, int discarded);

    [LoggerMessage(EventId = 16, Level = LogLevel.Error, Message = "Pool callback failed: {Message}")]
    public static partial void CallbackFailed(ILogger logger, string message);
}
