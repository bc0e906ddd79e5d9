using Multiprocess.Pickle;

namespace Multiprocess.Celery.Results;

/// <summary>A task ended in FAILURE or REVOKED: the remote exception's type, module, arguments and traceback.</summary>
public sealed class CeleryTaskException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="CeleryTaskException"/> class.</summary>
    public CeleryTaskException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CeleryTaskException"/> class.</summary>
    /// <param name="message">The message.</param>
    public CeleryTaskException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CeleryTaskException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CeleryTaskException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the task id.</summary>
    public string TaskId { get; private init; } = "";

    /// <summary>Gets the final state (FAILURE or REVOKED).</summary>
    public string State { get; private init; } = TaskStates.Failure;

    /// <summary>Gets the exception type's name (<c>exc_type</c>), e.g. <c>TypeError</c>.</summary>
    public string ExceptionType { get; private init; } = "";

    /// <summary>Gets the exception type's module (<c>exc_module</c>), e.g. <c>builtins</c>.</summary>
    public string? ExceptionModule { get; private init; }

    /// <summary>Gets the exception's arguments (<c>exc_message</c>).</summary>
    public IReadOnlyList<object?> ExceptionArgs { get; private init; } = [];

    /// <summary>Gets the remote traceback text.</summary>
    public string? RemoteTraceback { get; private init; }

    /// <summary>Builds the exception of a failed or revoked entry.</summary>
    /// <param name="meta">The entry.</param>
    /// <returns>The exception.</returns>
    public static CeleryTaskException FromMeta(ResultMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        string type, text;
        string? module;
        IReadOnlyList<object?> args;
        switch (meta.Result)
        {
            case Dictionary<string, object?> d:
                type = d.GetValueOrDefault("exc_type") as string ?? "Exception";
                module = d.GetValueOrDefault("exc_module") as string;
                args = d.GetValueOrDefault("exc_message") switch
                {
                    List<object?> l => l,
                    null => [],
                    var one => [one],
                };
                break;
            case PyException pe:
                type = pe.TypeName;
                module = pe.Type.Module;
                args = [.. pe.Args];
                break;
            default:
                type = "Exception";
                module = null;
                args = [meta.Result];
                break;
        }

        text = args.Count switch
        {
            0 => type,
            1 => $"{type}: {PyRepr.Str(args[0])}",
            _ => $"{type}: {PyRepr.Repr(new PyTuple([.. args]))}",
        };
        return new CeleryTaskException($"task {meta.TaskId} {meta.Status}: {text}")
        {
            TaskId = meta.TaskId,
            State = meta.Status,
            ExceptionType = type,
            ExceptionModule = module,
            ExceptionArgs = args,
            RemoteTraceback = meta.Traceback,
        };
    }
}
