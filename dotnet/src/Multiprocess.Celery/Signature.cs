namespace Multiprocess.Celery;

/// <summary>
/// A task call not yet sent (celery/canvas.py <c>Signature</c>): name, arguments and send options, the part of a
/// group or chord. On the wire it is the dict <c>{task, args, kwargs, options, subtask_type, immutable,
/// chord_size}</c>.
/// </summary>
/// <param name="task">The registered task name.</param>
/// <param name="args">Positional arguments.</param>
/// <param name="kwargs">Keyword arguments.</param>
/// <param name="options">Routing, timing and serializer options.</param>
public sealed class Signature(string task, IEnumerable<object?>? args = null, IReadOnlyDictionary<string, object?>? kwargs = null, SendOptions? options = null)
{
    /// <summary>Gets the task name.</summary>
    public string Task { get; } = string.IsNullOrEmpty(task) ? throw new ArgumentException("a signature needs a task name", nameof(task)) : task;

    /// <summary>Gets the positional arguments.</summary>
    public IReadOnlyList<object?> Args { get; } = args is null ? [] : [.. args];

    /// <summary>Gets the keyword arguments.</summary>
    public IReadOnlyDictionary<string, object?> Kwargs { get; } = kwargs ?? new Dictionary<string, object?>();

    /// <summary>Gets the send options.</summary>
    public SendOptions Options { get; } = options ?? new SendOptions();

    /// <summary>
    /// Gets or sets a value indicating whether the signature is immutable (<c>.si()</c>): a chord body or callback
    /// then does not receive the results before its own arguments.
    /// </summary>
    public bool Immutable { get; set; }

    // The dict form a worker reads (celery/canvas.py Signature.__init__), with the preset id and queue as options.
    internal Dictionary<string, object?> ToDict(string taskId, int? chordSize)
    {
        var options = new Dictionary<string, object?>(StringComparer.Ordinal) { ["task_id"] = taskId };
        if (Options.Queue is { } queue)
        {
            options["queue"] = queue;
        }

        if (Options.Exchange is { } exchange)
        {
            options["exchange"] = exchange;
        }

        if (Options.RoutingKey is { } routingKey)
        {
            options["routing_key"] = routingKey;
        }

        if (Options.Priority is { } priority)
        {
            options["priority"] = (long)priority;
        }

        if (Options.Serializer is { } serializer)
        {
            options["serializer"] = serializer.Name;
        }

        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["task"] = Task,
            ["args"] = Args.ToList(),
            ["kwargs"] = Kwargs.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            ["options"] = options,
            ["subtask_type"] = null,
            ["immutable"] = Immutable,
            ["chord_size"] = chordSize is { } n ? (long)n : null,
        };
    }
}
