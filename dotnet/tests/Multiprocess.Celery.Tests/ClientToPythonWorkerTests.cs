using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Tests;

/// <summary>The C# client against a real Python Celery worker on a real redis-server.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ClientToPythonWorkerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private ChildProcess? _worker;
    private CeleryClient? _client;

    private CeleryClient Client => _client!;

    [OneTimeSetUp]
    public void StartWorker()
    {
        _worker = PythonCelery.StartWorker(CeleryServers.Redis.Url(1), "celery,other", concurrency: 2);
        _client = new CeleryClient(CeleryServers.Redis.Url(1));
    }

    [OneTimeTearDown]
    public void StopWorker()
    {
        _client?.Dispose();
        _worker?.Dispose();
    }

    [Test]
    public void SendTask_Add_ReturnsTheSum()
    {
        var r = Client.SendTask("tests.add", [2, 3]);
        Assert.That(r.Get(Wait), Is.EqualTo(5L));
        Assert.That(r.State, Is.EqualTo(TaskStates.Success));
    }

    [Test]
    public void SendTask_KwargsAndUnicode_ReachThePythonTask()
    {
        var r = Client.SendTask("tests.echo", [1, "é✓", 2.5, null, true], new Dictionary<string, object?> { ["k"] = new List<object?> { 1L, "x" } });
        var result = (List<object?>)r.Get(Wait)!;
        Assert.That(result[0], Is.EqualTo(new List<object?> { 1L, "é✓", 2.5, null, true }));
        Assert.That(result[1], Is.EqualTo(new Dictionary<string, object?> { ["k"] = new List<object?> { 1L, "x" } }));
    }

    [Test]
    public void SendTask_PickleBothWays_BytesTuplesAndExceptionsSurvive()
    {
        using var pickled = PythonCelery.StartWorker(CeleryServers.Redis.Url(1), "pickled", "pypickle", 1, new() { ["CELERY_TEST_RESULT_SERIALIZER"] = "pickle" });
        var pickle = new SendOptions { Serializer = CelerySerializer.Pickle, Queue = "pickled" };
        var r = Client.SendTask("tests.echo", [new byte[] { 0, 1, 255 }, new PyTuple(1L, 2L), new System.Numerics.BigInteger(ulong.MaxValue) * 3], options: pickle);
        var result = (List<object?>)r.Get(Wait)!;
        var args = (List<object?>)result[0]!;
        Assert.That(args[0], Is.EqualTo(new byte[] { 0, 1, 255 }));
        Assert.That(args[1], Is.EqualTo(new PyTuple(1L, 2L)));
        Assert.That(args[2], Is.EqualTo(new System.Numerics.BigInteger(ulong.MaxValue) * 3));
        var failed = Client.SendTask("tests.fail", ["pickled boom"], options: pickle);
        var e = Assert.Throws<CeleryTaskException>(() => failed.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("ValueError"));
        Assert.That(e.ExceptionArgs, Is.EqualTo(new object?[] { "pickled boom" }));
    }

    [Test]
    public void SendTask_PythonRaises_GetThrowsWithTypeAndTraceback()
    {
        var r = Client.SendTask("tests.fail", ["boom"]);
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("ValueError"));
        Assert.That(e.ExceptionModule, Is.EqualTo("builtins"));
        Assert.That(e.ExceptionArgs, Is.EqualTo(new object?[] { "boom" }));
        Assert.That(e.RemoteTraceback, Does.Contain("raise ValueError(message)"));
        Assert.That(r.State, Is.EqualTo(TaskStates.Failure));
    }

    [Test]
    public void SendTask_Countdown_RunsNoEarlier()
    {
        var sent = DateTimeOffset.UtcNow;
        var r = Client.SendTask("tests.add", [1, 1], options: new SendOptions { Countdown = TimeSpan.FromSeconds(2) });
        Assert.That(r.Get(Wait), Is.EqualTo(2L));
        Assert.That(r.Meta!.DateDone!.Value - sent, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9)));
    }

    [Test]
    public void SendTask_AlreadyExpired_IsRevokedUnrun()
    {
        var r = Client.SendTask("tests.add", [1, 1], options: new SendOptions { Expires = DateTimeOffset.UtcNow.AddSeconds(-5) });
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.State, Is.EqualTo(TaskStates.Revoked));
        Assert.That(e.ExceptionType, Is.EqualTo("TaskRevokedError"));
    }

    [Test]
    public void Revoke_BeforeItsEta_TaskEndsRevoked()
    {
        var r = Client.SendTask("tests.add", [1, 1], options: new SendOptions { Countdown = TimeSpan.FromSeconds(3) });
        Thread.Sleep(500);
        r.Revoke();
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.State, Is.EqualTo(TaskStates.Revoked));
    }

    [Test]
    public void SendTask_OtherQueueWithPriority_IsConsumed()
    {
        var r = Client.SendTask("tests.add", [40, 2], options: new SendOptions { Queue = "other", Priority = 7 });
        Assert.That(r.Get(Wait), Is.EqualTo(42L));
    }

    [Test]
    public void SendTask_ExchangeAndRoutingKey_ReachTheBoundQueue()
    {
        // Celery declares queue "other" bound to the direct exchange "other" with routing key "other" (kombu's
        // _kombu.binding.other set on Redis): publishing there, with no queue named, reaches the worker.
        var r = Client.SendTask("tests.add", [40, 3], options: new SendOptions { Exchange = "other", RoutingKey = "other" });
        Assert.That(r.Get(Wait), Is.EqualTo(43L));
    }

    [Test]
    public void Get_NoWorkerForTheQueue_TimesOutPending()
    {
        var r = Client.SendTask("tests.add", [1, 1], options: new SendOptions { Queue = "nobody-" + Guid.NewGuid().ToString("N") });
        Assert.That(() => r.Get(TimeSpan.FromMilliseconds(300)), Throws.TypeOf<TimeoutException>().With.Message.Contains("PENDING"));
        Assert.That(r.State, Is.EqualTo(TaskStates.Pending));
    }
}
