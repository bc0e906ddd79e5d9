using Multiprocess.Celery.Amqp;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Celery.Worker;
using RabbitMQ.Client;
using static Multiprocess.Celery.Tests.Support.TestWorkers;

namespace Multiprocess.Celery.Tests;

/// <summary>
/// The C# worker on RabbitMQ: results through the RPC backend (and Redis), Python clients, Python workers on the
/// same queue, basic.qos prefetch, and redelivery of a killed worker's task by the broker.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AmqpWorkerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Broker => CeleryServers.Rabbit.Url;

    [Test]
    public void CSharpClient_RpcBackend_SumAndFailureComeBack()
    {
        var queue = Unique("amqp-sum");
        using var worker = Start(queue);
        using var client = new CeleryClient(Broker);
        var sum = client.SendTask("cs.sum", [1, 2, 3.5], options: new SendOptions { Queue = queue });
        var fail = client.SendTask("cs.fail", ["amqp bad"], options: new SendOptions { Queue = queue });
        Assert.That(sum.Get(Wait), Is.EqualTo(6.5));
        var e = Assert.Throws<CeleryTaskException>(() => fail.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("ValueError"));
        Assert.That(e.ExceptionArgs, Is.EqualTo(new object?[] { "amqp bad" }));
    }

    [Test]
    public void Retry_AndRejectRequeue_OnRabbit_RunAgain()
    {
        var queue = Unique("amqp-retry");
        var attempts = 0;
        using var worker = Start(queue, w =>
        {
            w.RegisterBound("t.flaky", ctx => ctx.Retries == 0 ? throw ctx.Retry(TimeSpan.FromMilliseconds(100), new IOException("transient")) : (object)ctx.Retries);
            w.Register("t.picky", _ => Interlocked.Increment(ref attempts) == 1 ? throw new TaskRejectException("not yet") { Requeue = true } : (object)attempts);
        });
        using var client = new CeleryClient(Broker);
        var retried = client.SendTask("t.flaky", [], options: new SendOptions { Queue = queue });
        var rejected = client.SendTask("t.picky", [], options: new SendOptions { Queue = queue });
        Assert.That(retried.Get(Wait), Is.EqualTo(1L));
        Assert.That(rejected.Get(Wait), Is.EqualTo(2));
    }

    [Test]
    public void RedisBackend_WithRabbitBroker_ResultReadFromRedis()
    {
        var queue = Unique("amqp-redis");
        var backend = CeleryServers.Redis.Url(5);
        using var worker = Start(queue, backend: backend);
        using var client = new CeleryClient(Broker, backend);
        var r = client.SendTask("cs.sum", [40, 2], options: new SendOptions { Queue = queue });
        Assert.That(r.Get(Wait), Is.EqualTo(42.0));
        using var reader = new CeleryClient(CeleryServers.Redis.Url(5));
        Assert.That(reader.AsyncResult(r.Id).State, Is.EqualTo(TaskStates.Success), "stored in Redis, readable by any client");
    }

    [Test]
    public void Prefetch_ConcurrencyOneMultiplierOne_BrokerKeepsTheRest()
    {
        var queue = Unique("amqp-prefetch");
        using var release = new SemaphoreSlim(0);
        using var started = new SemaphoreSlim(0);
        using var worker = Start(queue, w => w.Register("t.wait", _ =>
        {
            started.Release();
            return release.Wait(Wait);
        }), o =>
        {
            o.Concurrency = 1;
            o.PrefetchMultiplier = 1;
        });
        using var client = new CeleryClient(Broker);
        var results = Enumerable.Range(0, 4).Select(_ => client.SendTask("t.wait", [], options: new SendOptions { Queue = queue })).ToList();
        Assert.That(started.Wait(Wait), Is.True);
        using var probe = new AmqpBroker(Broker);
        using var channel = probe.Connection.CreateChannelAsync().GetAwaiter().GetResult();
        var ok = channel.QueueDeclarePassiveAsync(queue).GetAwaiter().GetResult();
        Assert.That(ok.MessageCount, Is.EqualTo(3u), "three messages wait in RabbitMQ, one is held");
        release.Release(4);
        Assert.That(results.Select(r => r.Get(Wait)), Is.All.EqualTo(true));
    }

    [Test]
    public void LateAck_WorkerKilledMidTask_BrokerRedeliversToAnother()
    {
        var queue = Unique("amqp-killed");
        using var client = new CeleryClient(Broker);
        using var doomed = CSharpWorkerProcess.Start(Broker, queue, "--concurrency", "1", "--track-started");
        var r = client.SendTask("multiprocess.sleep", [2.0], options: new SendOptions { Queue = queue });
        Assert.That(() => r.State, Is.EqualTo(TaskStates.Started).After(20_000, 50), doomed.Tail());
        doomed.Kill();
        using var heir = CSharpWorkerProcess.Start(Broker, queue, "--concurrency", "1");
        Assert.That(r.Get(Wait), Is.EqualTo(2.0), heir.Tail());
    }

    [Test]
    public void PythonClient_RpcBackend_ReachesCSharpWorker()
    {
        var queue = Unique("amqp-py");
        using var worker = Start(queue);
        var reply = PythonCelery.RunClient(Broker, ["send", "cs.sum", "[1, 2, 3.5]", "json", queue], Rpc);
        Assert.That(reply.GetProperty("state").GetString(), Is.EqualTo("SUCCESS"), reply.ToString());
        Assert.That(reply.GetProperty("result").GetDouble(), Is.EqualTo(6.5));
    }

    [Test]
    public void PythonClient_Pickle_EchoRoundTripsPythonValues()
    {
        var queue = Unique("amqp-pickle");
        using var worker = Start(queue, configure: o => o.ResultSerializer = CelerySerializer.Pickle);
        var env = new Dictionary<string, string>(Rpc) { ["CELERY_TEST_RESULT_SERIALIZER"] = "pickle" };
        var reply = PythonCelery.RunClient(Broker, ["echo-pickle", "cs.echo", queue], env);
        Assert.That(reply.GetProperty("equal").GetBoolean(), Is.True, reply.GetProperty("repr").GetString());
    }

    [Test]
    public void OneQueue_PythonAndCSharpWorkers_EveryTaskDoneOnceByBoth()
    {
        var queue = Unique("amqp-mixed");
        using var python = PythonCelery.StartWorker(Broker, queue, "pyamqpmixed", concurrency: 1, Rpc, pool: "solo");
        using var cs = Start(queue, w => w.Register("mixed.whoami", args =>
        {
            Thread.Sleep(20);
            return new List<object?> { "cs", args[0] };
        }), o => o.PrefetchMultiplier = 1);
        var results = PythonCelery.RunClient(Broker, ["many", "mixed.whoami", "200", queue], Rpc).EnumerateArray().ToList();
        Assert.That(results.Select(r => r[1].GetInt32()).Order(), Is.EqualTo(Enumerable.Range(0, 200)));
        var byLanguage = results.GroupBy(r => r[0].GetString()).ToDictionary(g => g.Key!, g => g.Count());
        Assert.That(byLanguage.Keys, Is.EquivalentTo(new[] { "py", "cs" }), string.Join(", ", byLanguage));
    }

    [Test]
    public void Chain_RpcBackend_PythonAndCSharpStepsReplyToTheClient()
    {
        var cs = Unique("amqp-chain-cs");
        var py = Unique("amqp-chain-py");
        using var worker = Start(cs);
        using var python = PythonCelery.StartWorker(Broker, py, "pyamqpchain", concurrency: 1, Rpc, pool: "solo");
        using var client = new CeleryClient(Broker);
        var middle = Guid.NewGuid().ToString();
        var r = client.Chain(
        [
            new Signature("cs.sum", [1, 2], options: new SendOptions { Queue = cs }),
            new Signature("tests.add", [0.5], options: new SendOptions { Queue = py, TaskId = middle }),
            new Signature("cs.echo", ["end"], options: new SendOptions { Queue = cs }),
        ]);
        Assert.That(r.Get(Wait), Is.EqualTo(new List<object?> { 3.5, "end" }), python.Tail());
        Assert.That(client.AsyncResult(middle).Get(Wait), Is.EqualTo(3.5), "the Python step's result reached this client's reply queue too");
    }

    [Test]
    public void CeleryInspectPing_AnswersOnRabbit()
    {
        using var worker = Start(Unique("amqp-ping"));
        var (code, output) = PythonCelery.RunCelery(Broker, "inspect", "ping", "-d", worker.Options.Hostname, "--timeout", "10");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("pong").And.Contain(worker.Options.Hostname));
    }

    private static Dictionary<string, string> Rpc => new() { ["CELERY_TEST_BACKEND"] = "rpc://" };

    private static CeleryWorker Start(string queue, Action<CeleryWorker>? register = null, Action<WorkerOptions>? configure = null, string? backend = null) =>
        TestWorkers.Start(
            Broker,
            queue,
            worker =>
            {
                worker.Register("cs.sum", args => args.Sum(a => Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture)));
                worker.Register("cs.echo", args => args.ToList());
                worker.Register("cs.fail", args => throw new ArgumentException((string)args[0]!));
                register?.Invoke(worker);
            },
            configure,
            backend);
}
