using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// What a worker needs of its broker beyond publishing: consume queues within a prefetch window, acknowledge,
/// reject or return a delivery, and hear the pidbox. Redis (kombu's emulation of acknowledgement) and AMQP (the
/// broker's own) differ exactly here; the worker above it does not.
/// </summary>
internal interface IWorkerTransport : IDisposable
{
    /// <summary>Gets the broker that publishes: retries, workflow steps, control replies, events.</summary>
    ITaskBroker Broker { get; }

    /// <summary>Declares the queues and starts delivering; returns once they are consumed.</summary>
    /// <param name="queues">The queues.</param>
    /// <param name="prefetch">How many deliveries may be held unfinished at once (Concurrency × PrefetchMultiplier).</param>
    /// <param name="deliver">Called with each delivery, on a transport thread; must not block.</param>
    void StartConsuming(IReadOnlyList<string> queues, int prefetch, Action<BrokerMessage> deliver);

    /// <summary>Listens to the pidbox (control broadcasts) under a node name.</summary>
    /// <param name="hostname">The node name.</param>
    /// <param name="control">Called with each control message.</param>
    void StartControl(string hostname, Action<BrokerMessage> control);

    /// <summary>Stops delivering (held deliveries stay held).</summary>
    void StopConsuming();

    /// <summary>Acknowledges: the broker forgets the message.</summary>
    /// <param name="message">The delivery.</param>
    void Ack(BrokerMessage message);

    /// <summary>Rejects: dropped, or with <paramref name="requeue"/> put back to run again (Celery's <c>Reject</c>).</summary>
    /// <param name="message">The delivery.</param>
    /// <param name="requeue">Whether it goes back to its queue.</param>
    void Reject(BrokerMessage message, bool requeue);

    /// <summary>Returns a delivery never started to its queue, first in line (a warm shutdown).</summary>
    /// <param name="message">The delivery.</param>
    void Restore(BrokerMessage message);

    /// <summary>Ends the worker's hold of a delivery (acknowledged or not): its prefetch slot is free again.</summary>
    /// <param name="message">The delivery.</param>
    void Release(BrokerMessage message);

    /// <summary>Publishes a control reply to a direct exchange named by the caller (kombu <c>Mailbox._publish_reply</c>).</summary>
    /// <param name="message">The reply.</param>
    /// <param name="exchange">The reply exchange.</param>
    /// <param name="routingKey">The caller's reply queue.</param>
    void PublishReply(BrokerMessage message, string exchange, string routingKey);

    /// <summary>Publishes an event to the <c>celeryev</c> exchange (fanout on Redis, topic on AMQP).</summary>
    /// <param name="message">The event.</param>
    /// <param name="routingKey">The event type with dots.</param>
    void PublishEvent(BrokerMessage message, string routingKey);
}
