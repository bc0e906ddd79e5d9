using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Worker;

namespace Multiprocess.Celery.Amqp;

/// <summary>
/// The worker's side of Celery's RPC result backend (celery/backends/rpc.py <c>store_result</c>): each state is
/// published through the default exchange to the task's <c>reply_to</c> queue, <c>correlation_id</c> = the task id,
/// transient (result_persistent is off by default), serialized with result_serializer. A task sent without
/// <c>reply_to</c> has nobody to tell: nothing is published, as in Celery.
/// </summary>
internal sealed class RpcResultPublisher(ITaskBroker broker, CelerySerializer serializer) : IWorkerResults
{
    public CelerySerializer Serializer { get; } = serializer;

    public void Store(ResultMeta meta, string? replyTo, byte[]? serialized = null)
    {
        if (string.IsNullOrEmpty(replyTo))
        {
            return;
        }

        var message = new BrokerMessage
        {
            Body = serialized ?? meta.Serialize(Serializer),
            ContentType = Serializer.ContentType,
            ContentEncoding = Serializer.ContentEncoding,
            Properties = { ["correlation_id"] = meta.TaskId, ["delivery_mode"] = 1L, ["priority"] = 0L },
        };
        broker.Publish(message, "", replyTo);
    }

    public void Dispose()
    {
        // The broker belongs to the worker's transport.
    }
}
