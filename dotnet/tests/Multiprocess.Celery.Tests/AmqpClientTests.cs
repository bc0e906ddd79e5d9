using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Tests;

/// <summary>The C# client on RabbitMQ with the RPC result backend, against a real Python Celery worker.</summary>
[TestFixture]
[NonParallelizable]
public sealed class AmqpClientTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private ChildProcess? _worker;
    private CeleryClient? _client;

    private CeleryClient Client => _client!;

    [OneTimeSetUp]
    public void StartWorker()
    {
        var broker = CeleryServers.Rabbit.Url;
        _worker = PythonCelery.StartWorker(broker, "celery", "pyamqp", 1, new() { ["CELERY_TEST_BACKEND"] = "rpc://", ["CELERY_TEST_RESULT_SERIALIZER"] = "pickle" }, pool: "solo");
        _client = new CeleryClient(broker);
    }

    [OneTimeTearDown]
    public void StopWorker()
    {
        _client?.Dispose();
        _worker?.Dispose();
    }

    [Test]
    public void SendTask_Add_ResultComesBackOnTheReplyQueue()
    {
        var r = Client.SendTask("tests.add", [20, 22]);
        Assert.That(r.Get(Wait), Is.EqualTo(42L));
        Assert.That(r.State, Is.EqualTo(TaskStates.Success));
    }

    [Test]
    public void SendTask_Pickle_BytesAndTuplesRoundTrip()
    {
        var r = Client.SendTask("tests.echo", [new byte[] { 7, 0 }, new PyTuple("a", 1L)], new Dictionary<string, object?> { ["k"] = 2.5 }, new SendOptions { Serializer = CelerySerializer.Pickle });
        var result = (List<object?>)r.Get(Wait)!;
        Assert.That(result[0], Is.EqualTo(new List<object?> { new byte[] { 7, 0 }, new PyTuple("a", 1L) }));
        Assert.That(((PyDict)result[1]!)["k"], Is.EqualTo(2.5));
    }

    [Test]
    public void SendTask_PythonRaises_GetThrowsValueError()
    {
        var r = Client.SendTask("tests.fail", ["amqp boom"]);
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("ValueError"));
        Assert.That(e.ExceptionArgs, Is.EqualTo(new object?[] { "amqp boom" }));
    }

    [Test]
    public void SendTask_ManyAtOnce_EveryResultArrives()
    {
        var results = Enumerable.Range(0, 10).Select(i => Client.SendTask("tests.add", [i, 1])).ToList();
        Assert.That(results.Select(r => r.Get(Wait)), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
    }
}
