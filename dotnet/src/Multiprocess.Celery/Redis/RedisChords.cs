using System.Globalization;
using Multiprocess.Celery.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// The chord counter of Celery 5.2's Redis result backend (celery/backends/redis.py <c>set_chord_size</c>,
/// <c>on_chord_part_return</c>), shared by Python and C# workers: the sender sets
/// <c>celery-taskset-meta-&lt;group&gt;.s</c> to the header's size; each finished header task adds
/// <c>[1, task_id, state, result]</c> (result_serializer) to the sorted set <c>….j</c> scored by its
/// <c>group_index</c> and reads the count, the size and the adjustment <c>….t</c> in one transaction, so exactly
/// one task sees the set complete: that one reads the results in header order, sends the body, and deletes the keys.
/// </summary>
internal static class RedisChords
{
    /// <summary>Sets a chord's size before its header is sent (redis-py stores the integer as its text).</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="groupId">The header's group id.</param>
    /// <param name="size">The header's task count.</param>
    public static void SetChordSize(RedisResultBackend backend, string groupId, int size)
    {
        var key = Key(groupId, ".s");
        var value = size.ToString(CultureInfo.InvariantCulture);
        backend.SetAndPublish(key, value);
    }

    /// <summary>Records a finished header task; when it completes the chord, returns every part in header order.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="taskId">The header task.</param>
    /// <param name="groupId">Its group.</param>
    /// <param name="groupIndex">Its place in the header (last when unknown, as Celery's '+inf').</param>
    /// <param name="state">Its ready state.</param>
    /// <param name="result">Its result as stored (exceptions already in the serializer's form).</param>
    /// <returns>The parts (task id, state, result) when this task was the last; otherwise null.</returns>
    public static List<(string TaskId, string State, object? Result)>? PartReturn(RedisResultBackend backend, string taskId, string groupId, long? groupIndex, string state, object? result)
    {
        var jkey = Key(groupId, ".j");
        var tkey = Key(groupId, ".t");
        var skey = Key(groupId, ".s");
        var encoded = backend.Serializer.Serialize(ReferenceEquals(backend.Serializer, CelerySerializer.Pickle)
            ? new PyTuple(1L, taskId, state, result)
            : new List<object?> { 1L, taskId, state, result });
        var score = groupIndex is { } gi ? gi.ToString(CultureInfo.InvariantCulture) : "+inf";
        var expires = Expires(backend);
        var replies = backend.Pool.Use(c =>
        {
            c.Write("MULTI");
            c.Write("ZADD", jkey, score, encoded);
            c.Write("ZCOUNT", jkey, "-inf", "+inf");
            c.Write("GET", tkey);
            c.Write("GET", skey);
            c.Write("EXPIRE", jkey, expires);
            c.Write("EXPIRE", tkey, expires);
            c.Write("EXPIRE", skey, expires);
            c.Write("EXEC");
            c.Flush();
            for (var i = 0; i < 8; i++)
            {
                c.Read(c.ReplyTimeout); // +OK, +QUEUED × 7
            }

            return c.Read(c.ReplyTimeout) as object?[] ?? throw new IOException($"redis {backend.Pool.Endpoint}: the chord transaction of group {groupId} was aborted");
        });
        if (replies[3] is not byte[] sizeText)
        {
            return null; // not a counted chord (or its size expired)
        }

        var readyCount = replies[1] is long n ? n : 0;
        var total = ParseLong(sizeText) + (replies[2] is byte[] t ? ParseLong(t) : 0);
        if (readyCount != total)
        {
            return null;
        }

        var members = backend.Pool.Execute("ZRANGE", jkey, 0, -1) as object?[] ?? [];
        var parts = new List<(string, string, object?)>(members.Length);
        foreach (var m in members)
        {
            var data = (byte[])m!;
            var entry = (data.Length > 0 && data[0] == 0x80 ? CelerySerializer.Pickle : CelerySerializer.Json).Deserialize(data);
            if (entry is not System.Collections.IList { Count: 4 } row || row[1] is not string tid || row[2] is not string st)
            {
                throw new FormatException($"chord {groupId}: an entry of {jkey} is not [1, task_id, state, result]");
            }

            parts.Add((tid, st, row[3]));
        }

        return parts;
    }

    /// <summary>Deletes a chord's keys once its body is sent (or failed).</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="groupId">The group.</param>
    public static void Delete(RedisResultBackend backend, string groupId) =>
        backend.Pool.Execute("DEL", Key(groupId, ".j"), Key(groupId, ".t"), Key(groupId, ".s"));

    private static string Key(string groupId, string suffix) => "celery-taskset-meta-" + groupId + suffix;

    private static long Expires(RedisResultBackend backend) => Math.Max(1, (long)backend.ResultExpires.TotalSeconds);

    private static long ParseLong(byte[] text) =>
        long.TryParse(System.Text.Encoding.ASCII.GetString(text), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"a chord counter holds '{System.Text.Encoding.ASCII.GetString(text)}', not an integer");
}
