namespace Multiprocess.Celery.Protocol;

/// <summary>
/// A task message of Celery's protocol version 2 (docs/celery.md): headers naming the task and its place in a
/// workflow, and a body <c>(args, kwargs, embed)</c>.
/// </summary>
public sealed class TaskMessage
{
    /// <summary>Gets or sets the task id (header <c>id</c>, property <c>correlation_id</c>).</summary>
    public required string Id { get; set; }

    /// <summary>Gets or sets the registered task name (header <c>task</c>).</summary>
    public required string Task { get; set; }

    /// <summary>Gets or sets the language of the body (header <c>lang</c>): <c>py</c>, since args/kwargs are Python values.</summary>
    public string Lang { get; set; } = "py";

    /// <summary>Gets or sets the id of the first task of the workflow (header <c>root_id</c>).</summary>
    public string? RootId { get; set; }

    /// <summary>Gets or sets the id of the task that sent this one (header <c>parent_id</c>).</summary>
    public string? ParentId { get; set; }

    /// <summary>Gets or sets the group id (header <c>group</c>).</summary>
    public string? Group { get; set; }

    /// <summary>Gets or sets the index in the group (header <c>group_index</c>).</summary>
    public long? GroupIndex { get; set; }

    /// <summary>Gets or sets the alias shown instead of the task name (header <c>shadow</c>).</summary>
    public string? Shadow { get; set; }

    /// <summary>Gets or sets the earliest execution time (header <c>eta</c>).</summary>
    public DateTimeOffset? Eta { get; set; }

    /// <summary>Gets or sets the time after which the task is revoked unrun (header <c>expires</c>).</summary>
    public DateTimeOffset? Expires { get; set; }

    /// <summary>Gets or sets how many times it was retried (header <c>retries</c>).</summary>
    public long Retries { get; set; }

    /// <summary>Gets or sets the soft time limit in seconds (header <c>timelimit</c>[1]).</summary>
    public double? SoftTimeLimit { get; set; }

    /// <summary>Gets or sets the hard time limit in seconds (header <c>timelimit</c>[0]).</summary>
    public double? TimeLimit { get; set; }

    /// <summary>Gets or sets <c>repr(args)</c> for logs and monitors (header <c>argsrepr</c>).</summary>
    public string? ArgsRepr { get; set; }

    /// <summary>Gets or sets <c>repr(kwargs)</c> (header <c>kwargsrepr</c>).</summary>
    public string? KwargsRepr { get; set; }

    /// <summary>Gets or sets the sender's node name, <c>gen&lt;pid&gt;@&lt;host&gt;</c> (header <c>origin</c>).</summary>
    public string? Origin { get; set; }

    /// <summary>Gets or sets a value indicating whether the worker stores no result (header <c>ignore_result</c>).</summary>
    public bool IgnoreResult { get; set; }

    /// <summary>Gets or sets the positional arguments.</summary>
    public IReadOnlyList<object?> Args { get; set; } = [];

    /// <summary>Gets or sets the keyword arguments.</summary>
    public IReadOnlyDictionary<string, object?> Kwargs { get; set; } = new Dictionary<string, object?>();

    /// <summary>Gets or sets the signatures to call with the result (<c>embed.callbacks</c>).</summary>
    public IReadOnlyList<object?>? Callbacks { get; set; }

    /// <summary>Gets or sets the signatures to call on failure (<c>embed.errbacks</c>).</summary>
    public IReadOnlyList<object?>? Errbacks { get; set; }

    /// <summary>Gets or sets the rest of a chain, last task first (<c>embed.chain</c>).</summary>
    public IReadOnlyList<object?>? Chain { get; set; }

    /// <summary>Gets or sets the chord callback signature (<c>embed.chord</c>).</summary>
    public object? Chord { get; set; }

    /// <summary>Gets or sets the queue replies go to (property <c>reply_to</c>; the RPC backend's reply queue).</summary>
    public string? ReplyTo { get; set; }

    /// <summary>Gets or sets the message priority (property <c>priority</c>, 0–9 on Redis; 0 = first there).</summary>
    public int Priority { get; set; }

    /// <summary>Gets any headers this model does not name, kept so a forwarded message loses nothing.</summary>
    public Dictionary<string, object?> ExtraHeaders { get; init; } = new(StringComparer.Ordinal);
}
