using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;

namespace Multiprocess.Celery.Worker;

/// <summary>Where a worker reports task states: a store all clients read (Redis), or the sender's reply queue (RPC).</summary>
internal interface IWorkerResults : IDisposable
{
    /// <summary>Gets the serializer of the entries (result_serializer).</summary>
    CelerySerializer Serializer { get; }

    /// <summary>Reports a state.</summary>
    /// <param name="meta">The entry.</param>
    /// <param name="replyTo">The task's <c>reply_to</c> (the RPC backend's destination; unused by stores).</param>
    /// <param name="serialized">The entry already serialized with <see cref="Serializer"/>, or null.</param>
    void Store(ResultMeta meta, string? replyTo, byte[]? serialized = null);
}

/// <summary>The Redis result backend as a worker writes it.</summary>
internal sealed class RedisWorkerResults(Redis.RedisResultBackend backend) : IWorkerResults
{
    public Redis.RedisResultBackend Backend { get; } = backend;

    public CelerySerializer Serializer => Backend.Serializer;

    public void Store(ResultMeta meta, string? replyTo, byte[]? serialized = null) => Backend.Store(meta, serialized);

    public void Dispose() => Backend.Dispose();
}
