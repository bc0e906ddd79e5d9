using Multiprocess.Pickle;

namespace Multiprocess.Celery.Protocol;

/// <summary>
/// Protocol v2 task messages to and from <see cref="BrokerMessage"/>s: the headers and properties Celery 5's
/// <c>amqp.as_task_v2</c> writes (celery/app/amqp.py), the body <c>(args, kwargs, embed)</c> in the chosen serializer.
/// </summary>
public static class TaskMessageCodec
{
    // celery/app/amqp.py: argsrepr_maxsize = kwargsrepr_maxsize = 1024 (saferepr's limit).
    private const int ReprMaxSize = 1024;

    /// <summary>Builds the broker message of a task.</summary>
    /// <param name="task">The task message.</param>
    /// <param name="serializer">The body serializer.</param>
    /// <returns>The broker message (no exchange/routing key yet).</returns>
    /// <exception cref="ArgumentException">An argument has no form in <paramref name="serializer"/>.</exception>
    public static BrokerMessage Encode(TaskMessage task, CelerySerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(serializer);
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["lang"] = task.Lang,
            ["task"] = task.Task,
            ["id"] = task.Id,
            ["shadow"] = task.Shadow,
            ["eta"] = task.Eta is { } eta ? CeleryTime.IsoFormat(eta) : null,
            ["expires"] = task.Expires is { } exp ? CeleryTime.IsoFormat(exp) : null,
            ["group"] = task.Group,
            ["group_index"] = task.GroupIndex,
            ["retries"] = task.Retries,
            ["timelimit"] = new List<object?> { task.TimeLimit, task.SoftTimeLimit },
            ["root_id"] = task.RootId ?? task.Id,
            ["parent_id"] = task.ParentId,
            ["argsrepr"] = task.ArgsRepr ?? SafeRepr(new PyTuple([.. task.Args.Select(ClipForRepr)])),
            ["kwargsrepr"] = task.KwargsRepr ?? SafeRepr(ToPyDict(task.Kwargs.ToDictionary(kv => kv.Key, kv => ClipForRepr(kv.Value), StringComparer.Ordinal))),
            ["origin"] = task.Origin,
            ["ignore_result"] = task.IgnoreResult,
        };
        foreach (var kv in task.ExtraHeaders)
        {
            headers.TryAdd(kv.Key, kv.Value);
        }

        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["correlation_id"] = task.Id,
            ["reply_to"] = task.ReplyTo,
            ["delivery_mode"] = 2L,
            ["priority"] = (long)task.Priority,
        };
        if (task.Expires is { } expires)
        {
            // AMQP per-message TTL in milliseconds, as a string (celery/app/amqp.py send_task_message).
            var ms = Math.Max(0, (long)(expires - DateTimeOffset.UtcNow).TotalMilliseconds);
            properties["expiration"] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        object body;
        if (ReferenceEquals(serializer, CelerySerializer.Pickle))
        {
            var embed = new PyDict
            {
                ["callbacks"] = task.Callbacks is null ? null : new List<object?>(task.Callbacks),
                ["errbacks"] = task.Errbacks is null ? null : new List<object?>(task.Errbacks),
                ["chain"] = task.Chain is null ? null : new List<object?>(task.Chain),
                ["chord"] = task.Chord,
            };
            body = new PyTuple(new PyTuple([.. task.Args]), ToPyDict(task.Kwargs), embed);
        }
        else
        {
            var embed = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["callbacks"] = task.Callbacks,
                ["errbacks"] = task.Errbacks,
                ["chain"] = task.Chain,
                ["chord"] = task.Chord,
            };
            body = new List<object?> { task.Args, task.Kwargs, embed };
        }

        return new BrokerMessage
        {
            Body = serializer.Serialize(body),
            ContentType = serializer.ContentType,
            ContentEncoding = serializer.ContentEncoding,
            Headers = headers,
            Properties = properties,
        };
    }

    /// <summary>Reads a protocol v2 task message.</summary>
    /// <param name="message">The broker message.</param>
    /// <returns>The task message.</returns>
    /// <exception cref="FormatException">Not a protocol v2 task message (no <c>task</c>/<c>id</c> header, a bad body).</exception>
    /// <exception cref="NotSupportedException">A content type other than json and pickle.</exception>
    public static TaskMessage Decode(BrokerMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var h = message.Headers;
        if (Str(h, "task") is not { } name || Str(h, "id") is not { } id)
        {
            throw new FormatException("not a protocol v2 task message: the headers have no 'task' and 'id' (protocol 1 messages are not supported)");
        }

        var serializer = CelerySerializer.ForContentType(message.ContentType);
        var body = serializer.Deserialize(message.Body);
        IReadOnlyList<object?>? parts = body switch
        {
            PyTuple { Count: 3 } t => t,
            List<object?> { Count: 3 } l => l,
            _ => null,
        };
        if (parts is null)
        {
            throw new FormatException($"task {id}: the body is not (args, kwargs, embed) but {PyRepr.TypeName(body)}");
        }

        var task = new TaskMessage
        {
            Id = id,
            Task = name,
            Lang = Str(h, "lang") ?? "py",
            RootId = Str(h, "root_id"),
            ParentId = Str(h, "parent_id"),
            Group = Str(h, "group"),
            GroupIndex = h.GetValueOrDefault("group_index") as long?,
            Shadow = Str(h, "shadow"),
            Eta = Str(h, "eta") is { } eta ? CeleryTime.Parse(eta) : null,
            Expires = Str(h, "expires") is { } exp ? CeleryTime.Parse(exp) : null,
            Retries = h.GetValueOrDefault("retries") as long? ?? 0,
            ArgsRepr = Str(h, "argsrepr"),
            KwargsRepr = Str(h, "kwargsrepr"),
            Origin = Str(h, "origin"),
            IgnoreResult = h.GetValueOrDefault("ignore_result") is true,
            ReplyTo = message.Properties.GetValueOrDefault("reply_to") as string,
            Priority = message.Priority,
            Args = ToList(parts[0], id, "args"),
            Kwargs = ToKwargs(parts[1], id),
        };
        if (h.GetValueOrDefault("timelimit") is System.Collections.IList { Count: 2 } limits)
        {
            task.TimeLimit = ToSeconds(limits[0]);
            task.SoftTimeLimit = ToSeconds(limits[1]);
        }

        if (parts[2] is { } embed)
        {
            var e = ToKwargs(embed, id);
            task.Callbacks = e.GetValueOrDefault("callbacks") as IReadOnlyList<object?>;
            task.Errbacks = e.GetValueOrDefault("errbacks") as IReadOnlyList<object?>;
            task.Chain = e.GetValueOrDefault("chain") as IReadOnlyList<object?>;
            task.Chord = e.GetValueOrDefault("chord");
        }

        foreach (var kv in h)
        {
            if (!s_known.Contains(kv.Key))
            {
                task.ExtraHeaders[kv.Key] = kv.Value;
            }
        }

        return task;
    }

    private static readonly HashSet<string> s_known =
    [
        "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit", "root_id",
        "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result",
    ];

    private static string? Str(Dictionary<string, object?> h, string key) => h.GetValueOrDefault(key) as string;

    private static double? ToSeconds(object? value) => value switch
    {
        long l => l,
        double d => d,
        _ => null,
    };

    private static List<object?> ToList(object? value, string id, string what) => value switch
    {
        List<object?> list => list,
        PyTuple t => [.. t],
        null => [],
        _ => throw new FormatException($"task {id}: {what} is a {PyRepr.TypeName(value)}, not a list or tuple"),
    };

    private static Dictionary<string, object?> ToKwargs(object? value, string id)
    {
        switch (value)
        {
            case Dictionary<string, object?> d:
                return d;
            case null:
                return new Dictionary<string, object?>(StringComparer.Ordinal);
            case PyDict pd:
                var result = new Dictionary<string, object?>(pd.Count, StringComparer.Ordinal);
                foreach (var kv in pd)
                {
                    result[kv.Key as string ?? throw new FormatException($"task {id}: a keyword is a {PyRepr.TypeName(kv.Key)}, not a str")] = kv.Value;
                }

                return result;
            default:
                throw new FormatException($"task {id}: kwargs is a {PyRepr.TypeName(value)}, not a dict");
        }
    }

    internal static PyDict ToPyDict(IReadOnlyDictionary<string, object?> kwargs)
    {
        var d = new PyDict(kwargs.Count);
        foreach (var kv in kwargs)
        {
            d[kv.Key] = kv.Value;
        }

        return d;
    }

    // A long str or bytes argument cut to what the repr's first ReprMaxSize characters can show (each character is
    // at least one of the repr's), so that a 1 MiB argument costs no 1 MiB repr; the quotes it holds are kept at the
    // end, past the cut, because repr picks its quote character from the whole text.
    private static object? ClipForRepr(object? value) => value switch
    {
        string { Length: > ReprMaxSize } text => string.Concat(
            text.AsSpan(0, ReprMaxSize), text.Contains('\'') ? "'" : "", text.Contains('"') ? "\"" : ""),
        byte[] { Length: > ReprMaxSize } bytes => ClipBytes(bytes),
        _ => value,
    };

    private static byte[] ClipBytes(byte[] bytes)
    {
        var quotes = new List<byte>(2);
        if (bytes.AsSpan().Contains((byte)'\''))
        {
            quotes.Add((byte)'\'');
        }

        if (bytes.AsSpan().Contains((byte)'"'))
        {
            quotes.Add((byte)'"');
        }

        return [.. bytes.AsSpan(0, ReprMaxSize), .. quotes];
    }

    private static string SafeRepr(object value)
    {
        string text;
        try
        {
            text = PyRepr.Repr(value);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            text = "<" + value.GetType().Name + ">";
        }

        return text.Length > ReprMaxSize ? text[..(ReprMaxSize - 3)] + "..." : text;
    }
}
