using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;

namespace Multiprocess.Celery;

/// <summary>
/// Groups and chords sent from C# as celery/canvas.py sends them: a group is its tasks with a shared <c>group</c>
/// id and a <c>group_index</c> each; a chord is a group whose tasks carry the body's signature as <c>chord</c>, and
/// whose size is set in the result backend first, so that the worker finishing the last header task sends the body
/// with the header's results (celery/backends/redis.py <c>on_chord_part_return</c>); a chain is its first task
/// carrying the rest as signatures in <c>chain</c>, last first, for each worker to pop the next
/// (celery/canvas.py <c>_chain.prepare_steps</c>).
/// </summary>
public sealed partial class CeleryClient
{
    /// <summary>Sends tasks as one group (<c>group(...).apply_async()</c>).</summary>
    /// <param name="tasks">The tasks.</param>
    /// <returns>The group's results.</returns>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public GroupResult Group(IEnumerable<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var groupId = Guid.NewGuid().ToString();
        var results = new List<AsyncResult>();
        var index = 0;
        foreach (var sig in tasks)
        {
            results.Add(SendMember(sig, groupId, index++, chord: null));
        }

        return new GroupResult(groupId, results);
    }

    /// <summary>
    /// Sends a chord (<c>chord(header)(body)</c>): the header tasks run in parallel; when the last is done, the body
    /// runs with the list of their results (in header order) before its own arguments. A failed header task fails
    /// the body with <c>celery.exceptions.ChordError</c>.
    /// </summary>
    /// <param name="header">The tasks to run first.</param>
    /// <param name="body">The task that receives their results.</param>
    /// <returns>The body's result.</returns>
    /// <exception cref="NotSupportedException">The result backend cannot count a chord (RPC, none), as in Celery.</exception>
    /// <exception cref="IOException">The broker or backend cannot be reached.</exception>
    public AsyncResult Chord(IEnumerable<Signature> header, Signature body)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(body);
        if (_backend is not RedisResultBackend redis)
        {
            throw new NotSupportedException($"a chord needs a result backend that counts its parts (Redis); this client's is {(_backend is null ? "none" : "rpc://")}, which Celery does not support chords on either");
        }

        var members = header.ToList();
        var bodyId = body.Options.TaskId ?? Guid.NewGuid().ToString();
        if (members.Count == 0)
        {
            // celery: an empty header calls the body at once with an empty list.
            var args = body.Immutable ? body.Args : [new List<object?>(), .. body.Args];
            return SendTask(body.Task, args, body.Kwargs, WithTaskId(body.Options, bodyId));
        }

        var groupId = Guid.NewGuid().ToString();
        var bodyDict = body.ToDict(bodyId, members.Count);
        RedisChords.SetChordSize(redis, groupId, members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            SendMember(members[i], groupId, i, bodyDict);
        }

        return new AsyncResult(this, bodyId);
    }

    /// <summary>
    /// Sends a chain (<c>chain(a, b, c).apply_async()</c>): each task runs after the one before succeeded, with its
    /// result prepended to its own arguments (unless <see cref="Signature.Immutable"/>). Every step's id is chosen
    /// here, as Celery freezes them, so the returned handle is valid before the last step is sent. A failed step ends
    /// the chain: the steps after it are never sent (their results stay PENDING), as in Celery.
    /// </summary>
    /// <param name="tasks">The steps, in order.</param>
    /// <returns>The last step's result.</returns>
    /// <exception cref="ArgumentException">No steps.</exception>
    /// <exception cref="IOException">The broker cannot be reached.</exception>
    public AsyncResult Chain(IEnumerable<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var steps = tasks.ToList();
        if (steps.Count == 0)
        {
            throw new ArgumentException("a chain needs at least one task", nameof(tasks));
        }

        var ids = steps.Select(s => s.Options.TaskId ?? Guid.NewGuid().ToString()).ToList();

        // Reversed, so that a worker pops the next step off the end (celery/app/trace.py: chain.pop()).
        var rest = new List<object?>();
        for (var i = steps.Count - 1; i >= 1; i--)
        {
            var step = steps[i].ToDict(ids[i], chordSize: null);
            if (_backend?.ReplyTo is { } replyTo)
            {
                // Signature.freeze() sets reply_to: an rpc:// result goes to this client's reply queue.
                ((Dictionary<string, object?>)step["options"]!)["reply_to"] = replyTo;
            }

            rest.Add(step);
        }

        var first = steps[0];
        var message = BuildMessage(first.Task, first.Args, first.Kwargs, WithTaskId(first.Options, ids[0]));
        message.Chain = rest.Count > 0 ? rest : null;
        Publish(message, first.Options);
        return new AsyncResult(this, ids[^1]);
    }

    private static SendOptions WithTaskId(SendOptions o, string taskId) => new()
    {
        TaskId = taskId,
        Countdown = o.Countdown,
        Eta = o.Eta,
        Expires = o.Expires,
        Retries = o.Retries,
        Priority = o.Priority,
        Queue = o.Queue,
        Exchange = o.Exchange,
        RoutingKey = o.RoutingKey,
        Serializer = o.Serializer,
        IgnoreResult = o.IgnoreResult,
        TimeLimit = o.TimeLimit,
        SoftTimeLimit = o.SoftTimeLimit,
        ParentId = o.ParentId,
        RootId = o.RootId,
        GroupId = o.GroupId,
    };

    private AsyncResult SendMember(Signature sig, string groupId, int index, Dictionary<string, object?>? chord)
    {
        var message = BuildMessage(sig.Task, sig.Args, sig.Kwargs, sig.Options);
        message.Group = groupId;
        message.GroupIndex = index;
        message.Chord = chord;
        Publish(message, sig.Options);
        return new AsyncResult(this, message.Id);
    }
}
