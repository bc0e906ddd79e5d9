using Multiprocess.Celery.Protocol;

namespace Multiprocess.Celery;

/// <summary>What a client needs of a broker: declare Celery's queues, publish to queues and to fanout exchanges.</summary>
public interface ITaskBroker : IDisposable
{
    /// <summary>Declares a queue as Celery's default routing does (direct exchange and routing key of its name).</summary>
    /// <param name="queue">The queue.</param>
    void DeclareQueue(string queue);

    /// <summary>Publishes a message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="exchange">The exchange (<c>""</c>: the routing key names the queue).</param>
    /// <param name="routingKey">The routing key.</param>
    void Publish(BrokerMessage message, string exchange, string routingKey);

    /// <summary>Publishes to a fanout exchange (control broadcasts).</summary>
    /// <param name="message">The message.</param>
    /// <param name="exchange">The exchange.</param>
    /// <param name="routingKey">The routing key.</param>
    void PublishFanout(BrokerMessage message, string exchange, string routingKey);
}
