using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Redis;

namespace Multiprocess.Celery;

/// <summary>
/// Groups and chords sent from C# as celery/canvas.py sends them: a group is its tasks with a shared <c>group</c>
/// id and a <c>group_index</c> each; a chord is a group whose tasks carry the body's signature as <c>chord</c>, and
/// whose size is set in the result backend first, so that the worker finishing the last header task sends the body
/// with the header's results (celery/backends/redis.py <c>on_chord_part_return</c>).
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
