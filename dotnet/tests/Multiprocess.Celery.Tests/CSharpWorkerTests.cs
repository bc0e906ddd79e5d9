using Multiprocess.Celery.Redis;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Celery.Worker;
using static Multiprocess.Celery.Tests.Support.TestWorkers;

namespace Multiprocess.Celery.Tests;

/// <summary>The C# worker driven by the C# client: states, retries, rejects, revokes, prefetch and late acknowledgement.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CSharpWorkerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Broker => CeleryServers.Redis.Url(3);

    [Test]
    public void Retry_HandlerAsksOnce_SucceedsOnTheSecondRunWithRetriesOne()
    {
        var queue = Unique("retry");
        using var worker = Start(queue, w => w.RegisterBound("t.flaky", ctx =>
            ctx.Retries == 0 ? throw ctx.Retry(TimeSpan.FromMilliseconds(200), new IOException("transient")) : (object)ctx.Retries));
        using var client = new CeleryClient(Broker);
        var r = client.SendTask("t.flaky", [], options: new SendOptions { Queue = queue });
        Assert.That(r.Get(Wait), Is.EqualTo(1L));
    }

    [Test]
    public void Retry_BeyondMaxRetries_FailsWithTheReason()
    {
        var queue = Unique("retrymax");
        using var worker = Start(queue, w => w.RegisterBound("t.always", ctx => throw ctx.Retry(TimeSpan.FromMilliseconds(50), new TimeoutException("still down"), maxRetries: 2)));
        using var client = new CeleryClient(Broker);
        var r = client.SendTask("t.always", [], options: new SendOptions { Queue = queue });
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("TimeoutError"));
        Assert.That(e.ExceptionArgs, Is.EqualTo(new object?[] { "still down" }));
    }

    [Test]
    public void TrackStarted_WhileRunning_StateIsStarted()
    {
        var queue = Unique("started");
        using var release = new ManualResetEventSlim();
        using var worker = Start(queue, w => w.Register("t.block", _ => release.Wait(Wait)), o => o.TrackStarted = true);
        using var client = new CeleryClient(Broker);
        var r = client.SendTask("t.block", [], options: new SendOptions { Queue = queue });
        Assert.That(() => r.State, Is.EqualTo(TaskStates.Started).After(10_000, 50));
        release.Set();
        Assert.That(r.Get(Wait), Is.EqualTo(true));
    }

    [Test]
    public void Revoke_QueuedBehindABusyWorker_EndsRevokedUnrun()
    {
        var queue = Unique("revoke");
        using var release = new ManualResetEventSlim();
        var ran = 0;
        using var worker = Start(
            queue,
            w =>
            {
                w.Register("t.block", _ => release.Wait(Wait));
                w.Register("t.count", _ => Interlocked.Increment(ref ran));
            },
            o => o.Concurrency = 1);
        using var client = new CeleryClient(Broker);
        var blocker = client.SendTask("t.block", [], options: new SendOptions { Queue = queue });
        var victim = client.SendTask("t.count", [], options: new SendOptions { Queue = queue });
        victim.Revoke();
        Thread.Sleep(300); // the broadcast reaches the worker's pidbox listener
        release.Set();
        var e = Assert.Throws<CeleryTaskException>(() => victim.Get(Wait))!;
        Assert.That(e.State, Is.EqualTo(TaskStates.Revoked));
        Assert.That(ran, Is.Zero);
        Assert.That(blocker.Get(Wait), Is.EqualTo(true));
    }

    [Test]
    public void Reject_Requeue_TheMessageComesBackAndRunsAgain()
    {
        var queue = Unique("reject");
        var attempts = 0;
        using var worker = Start(queue, w => w.Register("t.picky", _ =>
            Interlocked.Increment(ref attempts) == 1 ? throw new TaskRejectException("not yet") { Requeue = true } : (object)attempts));
        using var client = new CeleryClient(Broker);
        var r = client.SendTask("t.picky", [], options: new SendOptions { Queue = queue });
        Assert.That(r.Get(Wait), Is.EqualTo(2));
    }

    [Test]
    public void Prefetch_ConcurrencyOneMultiplierOne_HoldsOneMessageAtATime()
    {
        var queue = Unique("prefetch");
        using var release = new SemaphoreSlim(0);
        using var worker = Start(queue, w => w.Register("t.wait", _ => release.Wait(Wait)), o =>
        {
            o.Concurrency = 1;
            o.PrefetchMultiplier = 1;
        });
        using var client = new CeleryClient(Broker);
        var results = Enumerable.Range(0, 4).Select(_ => client.SendTask("t.wait", [], options: new SendOptions { Queue = queue })).ToList();
        Thread.Sleep(500);
        using var pool = new RedisConnectionPool(RedisEndpoint.Parse(Broker));
        Assert.That(pool.Execute("LLEN", queue), Is.EqualTo(3L), "three messages wait in Redis, one is held");
        release.Release(4);
        Assert.That(results.Select(r => r.Get(Wait)), Is.All.EqualTo(true));
    }

    [Test]
    public void LateAck_WorkerKilledMidTask_AnotherWorkerRunsItAfterTheVisibilityTimeout()
    {
        var queue = Unique("killed");
        using var client = new CeleryClient(Broker);
        using (var doomed = CSharpWorkerProcess.Start(Broker, queue, "--concurrency", "1", "--visibility-timeout", "2", "--track-started"))
        {
            var r = client.SendTask("multiprocess.sleep", [3.0], options: new SendOptions { Queue = queue, TaskId = "killed-" + Guid.NewGuid() });
            Assert.That(() => r.State, Is.EqualTo(TaskStates.Started).After(20_000, 50), doomed.Tail());
            doomed.Kill();
            Assert.That(r.State, Is.EqualTo(TaskStates.Started), "killed before it finished");
            using var pool = new RedisConnectionPool(RedisEndpoint.Parse(Broker));
            Assert.That(pool.Execute("HLEN", RedisBroker.UnackedKey), Is.GreaterThanOrEqualTo(1L), "the message waits in 'unacked'");
            using var heir = CSharpWorkerProcess.Start(Broker, queue, "--concurrency", "1", "--visibility-timeout", "2");
            Assert.That(r.Get(Wait), Is.EqualTo(3.0), heir.Tail());
        }
    }

    private static CeleryWorker Start(string queue, Action<CeleryWorker> register, Action<WorkerOptions>? configure = null) =>
        TestWorkers.Start(Broker, queue, register, configure);
}
