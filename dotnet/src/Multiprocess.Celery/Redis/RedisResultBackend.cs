using System.Collections.Concurrent;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;

namespace Multiprocess.Celery.Redis;

/// <summary>
/// Celery's Redis result backend (celery/backends/redis.py): the entry of task <c>id</c> is the string key
/// <c>celery-task-meta-&lt;id&gt;</c>, written with SETEX (result_expires, 1 day) and PUBLISHed on the channel of
/// the same name in one MULTI, so waiters subscribe first, then read, then wait for the publish.
/// </summary>
public sealed class RedisResultBackend : IResultBackend
{
    /// <summary>The key prefix of task entries.</summary>
    public const string TaskKeyPrefix = "celery-task-meta-";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<ResultMeta>> _waiters = new(StringComparer.Ordinal);
    private readonly Lock _subscriberLock = new();
    private readonly bool _ownsPool;
    private RedisSubscriber? _subscriber;

    /// <summary>Initializes a new instance of the <see cref="RedisResultBackend"/> class.</summary>
    /// <param name="pool">Connections to the server.</param>
    /// <param name="ownsPool">Whether disposing this disposes the pool.</param>
    public RedisResultBackend(RedisConnectionPool pool, bool ownsPool = false)
    {
        Pool = pool;
        _ownsPool = ownsPool;
    }

    /// <summary>Gets the connections.</summary>
    public RedisConnectionPool Pool { get; }

    /// <summary>Gets null: results are stored in Redis, not sent back.</summary>
    public string? ReplyTo => null;

    /// <summary>Gets or sets how long entries live (Celery's result_expires; 1 day).</summary>
    public TimeSpan ResultExpires { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Gets or sets the serializer entries are written with (Celery's result_serializer).</summary>
    public CelerySerializer Serializer { get; set; } = CelerySerializer.Json;

    /// <summary>Stores and publishes an entry, unless the task already succeeded (a redelivered task does not overwrite SUCCESS, as in Celery's <c>_store_result</c>).</summary>
    /// <param name="meta">The entry.</param>
    public void Store(ResultMeta meta) => Store(meta, null);

    /// <summary>Stores an entry already serialized with <see cref="Serializer"/> (null: serialized here).</summary>
    /// <param name="meta">The entry.</param>
    /// <param name="serialized">Its bytes, or null.</param>
    internal void Store(ResultMeta meta, byte[]? serialized)
    {
        ArgumentNullException.ThrowIfNull(meta);
        if (GetMeta(meta.TaskId) is { Status: TaskStates.Success })
        {
            return;
        }

        SetAndPublish(TaskKeyPrefix + meta.TaskId, serialized ?? meta.Serialize(Serializer));
    }

    /// <summary>
    /// Celery's KeyValueStoreBackend.set on Redis: SETEX with result_expires and PUBLISH to the key's channel, in one
    /// transaction (task results and a chord's group size both go this way).
    /// </summary>
    internal void SetAndPublish(string key, object value) => Pool.Use(c =>
    {
        c.Write("MULTI");
        c.Write("SETEX", key, Math.Max(1, (long)ResultExpires.TotalSeconds), value);
        c.Write("PUBLISH", key, value);
        c.Write("EXEC");
        c.Flush();
        for (var i = 0; i < 4; i++)
        {
            c.Read(c.ReplyTimeout);
        }

        return 0;
    });

    /// <summary>Reads an entry.</summary>
    /// <param name="taskId">The task id.</param>
    /// <returns>The entry, or null when the backend knows nothing of it (PENDING).</returns>
    public ResultMeta? GetMeta(string taskId) =>
        Pool.Execute("GET", TaskKeyPrefix + taskId) is byte[] data ? ResultMeta.Deserialize(data) : null;

    /// <summary>Waits until an entry is in a ready state (SUCCESS, FAILURE, REVOKED).</summary>
    /// <param name="taskId">The task id.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="TimeoutException">Not ready in time; the message gives the last state seen.</exception>
    public ResultMeta WaitReady(string taskId, TimeSpan timeout)
    {
        // Ready already (a Map reading its results in order finds most of them stored): one GET, no SUBSCRIBE, its
        // confirmation and UNSUBSCRIBE.
        if (GetMeta(taskId) is { } stored && TaskStates.IsReady(stored.Status))
        {
            return stored;
        }

        var subscriber = EnsureSubscriber();
        var channel = TaskKeyPrefix + taskId;
        var waiter = _waiters.GetOrAdd(taskId, _ => new TaskCompletionSource<ResultMeta>(TaskCreationOptions.RunContinuationsAsynchronously));
        subscriber.Subscribe(channel);
        try
        {
            // Subscribed (confirmed) before reading: a result stored in between is seen by the read or by the publish.
            var meta = GetMeta(taskId);
            if (meta is not null && TaskStates.IsReady(meta.Status))
            {
                return meta;
            }

            if (waiter.Task.Wait(timeout))
            {
                return waiter.Task.Result;
            }

            meta = GetMeta(taskId);
            return meta is not null && TaskStates.IsReady(meta.Status)
                ? meta
                : throw new TimeoutException($"task {taskId}: not ready after {timeout.TotalSeconds:0.###} s (state {meta?.Status ?? TaskStates.Pending})");
        }
        finally
        {
            _waiters.TryRemove(taskId, out _);
            subscriber.Unsubscribe(channel);
        }
    }

    /// <summary>Deletes an entry (AsyncResult.forget).</summary>
    /// <param name="taskId">The task id.</param>
    public void Forget(string taskId) => Pool.Execute("DEL", TaskKeyPrefix + taskId);

    /// <summary>Closes the subscription connection (and the pool when owned).</summary>
    public void Dispose()
    {
        _subscriber?.Dispose();
        if (_ownsPool)
        {
            Pool.Dispose();
        }
    }

    private RedisSubscriber EnsureSubscriber()
    {
        lock (_subscriberLock)
        {
            if (_subscriber is null)
            {
                _subscriber = new RedisSubscriber(Pool);
                _subscriber.Message += OnMessage;
                _subscriber.Reconnected += OnReconnected;
            }

            return _subscriber;
        }
    }

    private void OnMessage(string channel, byte[] data)
    {
        if (!channel.StartsWith(TaskKeyPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var id = channel[TaskKeyPrefix.Length..];
        if (_waiters.TryGetValue(id, out var waiter))
        {
            try
            {
                var meta = ResultMeta.Deserialize(data);
                if (TaskStates.IsReady(meta.Status))
                {
                    waiter.TrySetResult(meta);
                }
            }
            catch (Exception e) when (e is FormatException or NotSupportedException or Multiprocess.Pickle.UnpicklingException)
            {
                waiter.TrySetException(e);
            }
        }
    }

    private void OnReconnected()
    {
        // Publishes may have been missed while disconnected: read every awaited entry again.
        foreach (var (id, waiter) in _waiters)
        {
            try
            {
                if (GetMeta(id) is { } meta && TaskStates.IsReady(meta.Status))
                {
                    waiter.TrySetResult(meta);
                }
            }
            catch (IOException)
            {
                // Still down: the waiter times out or the next reconnect reads again.
            }
        }
    }
}
