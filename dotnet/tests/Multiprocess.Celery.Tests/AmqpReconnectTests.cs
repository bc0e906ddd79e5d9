using Multiprocess.Celery.Tests.Support;

namespace Multiprocess.Celery.Tests;

/// <summary>
/// RabbitMQ restarted under a running C# worker (the run's rabbitmq-server, stopped by its pid and started again on
/// the same ports): the worker reconnects and every task sent before the restart completes. Results go to Redis, so
/// that what is checked is the worker's reconnection and the broker's redelivery, not the RPC reply queue (which is
/// the client's own and goes with the broker, as in Celery).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AmqpReconnectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    [Test]
    public void BrokerRestartedMidRun_WorkerReconnects_NoTaskLost()
    {
        var rabbit = CeleryServers.Rabbit;
        var queue = $"amqp-restart-{Guid.NewGuid():N}";
        var backend = CeleryServers.Redis.Url(7);
        using var worker = CSharpWorkerProcess.Start(rabbit.Url, queue, "--backend", backend, "--concurrency", "2", "--without-heartbeat");
        using var client = new CeleryClient(rabbit.Url, backend);

        // ~3 s of work at concurrency 2: the restart falls in the middle, with tasks running and prefetched.
        var results = Enumerable.Range(0, 300).Select(_ => client.SendTask("multiprocess.sleep", [0.02], options: new SendOptions { Queue = queue })).ToList();
        Assert.That(results[30].Get(Wait), Is.EqualTo(0.02), worker.Tail());
        var stopped = rabbit.Restart();
        Assert.That(stopped, Is.Positive, "the node's pid file named no process to stop");

        var missing = results.Select((r, i) => (r, i)).Where(x => !Completed(x.r)).Select(x => x.i).ToList();
        Assert.That(missing, Is.Empty, $"tasks lost across the broker restart; worker output:\n{worker.Tail()}");
        Assert.That(worker.HasExited, Is.False, worker.Tail());
        Assert.That(worker.Output, Does.Contain("broker connection recovered"), worker.Tail());
    }

    private static bool Completed(AsyncResult result)
    {
        try
        {
            return Equals(result.Get(Wait), 0.02);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
