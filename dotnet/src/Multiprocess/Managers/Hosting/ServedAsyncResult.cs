using Microsoft.Extensions.Logging;
using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;
using Multiprocess.Pooling;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// What a served Pool's <c>apply_async</c>/<c>map_async</c>/<c>starmap_async</c> return (type id <c>AsyncResult</c>):
/// CPython's <c>ApplyResult</c>/<c>MapResult</c>, with <c>get(timeout=None)</c>, <c>wait(timeout=None)</c>,
/// <c>ready()</c> and <c>successful()</c>. As in pool.py's <c>_set</c>, the callback (or error callback) has run
/// before the result is ready: it runs in the Python host, with the value (or the worker's exception).
/// </summary>
internal sealed class ServedAsyncResult : Referent
{
    private static readonly PySignature s_get = new("get", ["timeout"], [null]);
    private static readonly PySignature s_wait = new("wait", ["timeout"], [null]);
    private static readonly PySignature s_ready = PySignature.None("ready");
    private static readonly PySignature s_successful = PySignature.None("successful");
    private static readonly string[] s_public = ["get", "ready", "successful", "wait"];

    private readonly Task _task;
    private readonly Task _ready;
    private readonly string _package;
    private readonly string _className;

    public ServedAsyncResult(Task task, PythonReferent? callback, PythonReferent? errorCallback, string package, string className, ILogger logger)
    {
        _task = task;
        _package = package;
        _className = className;
        _ready = callback is null && errorCallback is null
            ? task
            : task.ContinueWith(t => RunCallback(t, callback, errorCallback, logger), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "ready":
                s_ready.BindNone(args, kwargs);
                return _ready.IsCompleted;
            case "successful":
                s_successful.BindNone(args, kwargs);
                return _ready.IsCompleted
                    ? _task.IsCompletedSuccessfully
                    : throw PyErrors.ValueError($"{Repr()} not ready");
            case "wait":
                ServedResults.Wait(_ready, PyValues.AsTimeout(s_wait.Bind(args, kwargs)[0]), context);
                return null;
            case "get":
                return ServedResults.Wait(_ready, PyValues.AsTimeout(s_get.Bind(args, kwargs)[0]), context)
                    ? ServedResults.ValueOf(_task)
                    : throw ServedResults.Timeout(_package);
            default:
                throw NoSuchMethod(_className, name);
        }
    }

    public override IEnumerable<string> PublicMethods() => s_public;

    public override string Repr() => $"<{_package}.pool.{_className} object at {Address}>";

    private static void RunCallback(Task task, PythonReferent? callback, PythonReferent? errorCallback, ILogger logger)
    {
        try
        {
            if (task.Exception is { } aggregate)
            {
                errorCallback?.Call([ServedResults.CallbackErrorOf(aggregate.InnerException ?? aggregate)], null);
            }
            else
            {
                callback?.Call([ServedResults.ValueOf(task)], null);
            }
        }
        catch (Exception e) when (e is PyRaisedException or PythonHostLostException or InvalidOperationException or SessionAbortedException)
        {
            // pool.py runs callbacks in its result thread, where an exception is not the caller's either: the server's log.
            PoolLog.CallbackFailed(logger, e.Message);
        }
        finally
        {
            callback?.Dispose();
            errorCallback?.Dispose();
        }
    }
}
