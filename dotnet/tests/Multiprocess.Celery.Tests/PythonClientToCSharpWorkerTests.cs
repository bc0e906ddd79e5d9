using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Celery.Worker;
using Multiprocess.Pickle;

namespace Multiprocess.Celery.Tests;

/// <summary>A real Python Celery client (send_task, result.get) against the C# worker, and both worker kinds on one queue.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PythonClientToCSharpWorkerTests
{
    private static string Broker => CeleryServers.Redis.Url(2);

    [Test]
    public void PythonSendTask_ReachesCSharpHandler_ResultReadByPython()
    {
        using var worker = StartWorker("cs-json", CelerySerializer.Json);
        var reply = PythonCelery.RunClient(Broker, ["send", "cs.sum", "[1, 2, 3.5]", "json", "cs-json"]);
        Assert.That(reply.GetProperty("state").GetString(), Is.EqualTo("SUCCESS"), reply.ToString());
        Assert.That(reply.GetProperty("result").GetDouble(), Is.EqualTo(6.5));
    }

    [Test]
    public void PythonSendTask_Pickle_EchoRoundTripsPythonValues()
    {
        using var worker = StartWorker("cs-pickle", CelerySerializer.Pickle);
        var env = new Dictionary<string, string> { ["CELERY_TEST_RESULT_SERIALIZER"] = "pickle" };
        var reply = PythonCelery.RunClient(Broker, ["echo-pickle", "cs.echo", "cs-pickle"], env);
        Assert.That(reply.GetProperty("state").GetString(), Is.EqualTo("SUCCESS"), reply.ToString());
        Assert.That(reply.GetProperty("equal").GetBoolean(), Is.True, reply.GetProperty("repr").GetString());
    }

    [Test]
    public void PythonSendTask_CSharpHandlerThrows_PythonSeesValueError()
    {
        using var worker = StartWorker("cs-fail", CelerySerializer.Json);
        var reply = PythonCelery.RunClient(Broker, ["send", "cs.fail", "[\"bad\"]", "json", "cs-fail"]);
        Assert.That(reply.GetProperty("state").GetString(), Is.EqualTo("FAILURE"), reply.ToString());
        Assert.That(reply.GetProperty("error").GetString(), Is.EqualTo("ValueError"));
        Assert.That(reply.GetProperty("message").GetString(), Is.EqualTo("bad"));
    }

    [Test]
    public void OneQueue_PythonAndCSharpWorkers_EveryTaskDoneOnceByBoth()
    {
        using var python = PythonCelery.StartWorker(Broker, "mixed", "pymixed", concurrency: 2);
        using var cs = new CeleryWorker(Broker, options: new WorkerOptions { Queues = ["mixed"], Concurrency = 2, PrefetchMultiplier = 1 });
        cs.Register("mixed.whoami", args =>
        {
            Thread.Sleep(20);
            return new List<object?> { "cs", args[0] };
        });
        cs.Start();
        var results = PythonCelery.RunClient(Broker, ["many", "mixed.whoami", "200", "mixed"]).EnumerateArray().ToList();
        var indices = results.Select(r => r[1].GetInt32()).Order().ToList();
        Assert.That(indices, Is.EqualTo(Enumerable.Range(0, 200).ToList()));
        var byLanguage = results.GroupBy(r => r[0].GetString()).ToDictionary(g => g.Key!, g => g.Count());
        Assert.That(byLanguage.Keys, Is.EquivalentTo(new[] { "py", "cs" }), string.Join(", ", byLanguage));
    }

    [Test]
    public void PythonChain_CSharpStepThenPythonStep_TheCSharpWorkerSendsTheNext()
    {
        using var cs = StartWorker("cs-chain", CelerySerializer.Json);
        using var python = PythonCelery.StartWorker(Broker, "py-chain", "pychain", concurrency: 1);
        var reply = PythonCelery.RunClient(Broker, ["chain", "cs-chain", "py-chain"]);
        Assert.That(reply.GetProperty("parent").GetDouble(), Is.EqualTo(3.0), reply.ToString());
        Assert.That(reply.GetProperty("result").GetDouble(), Is.EqualTo(13.0), reply.ToString());
    }

    [Test]
    public void CeleryInspectPing_AnswersForTheCSharpWorker()
    {
        using var worker = StartWorker("cs-ping", CelerySerializer.Json);
        var (code, output) = PythonCelery.RunCelery(Broker, "inspect", "ping", "-d", worker.Options.Hostname, "--timeout", "5");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("pong").And.Contain(worker.Options.Hostname));
    }

    private static CeleryWorker StartWorker(string queue, CelerySerializer resultSerializer)
    {
        var worker = new CeleryWorker(Broker, options: new WorkerOptions { Queues = [queue], Concurrency = 2, ResultSerializer = resultSerializer });
        worker.Register("cs.sum", args => args.Sum(a => Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture)));
        worker.Register("cs.echo", args => args.ToList());
        worker.Register("cs.fail", args => throw new ArgumentException((string)args[0]!));
        worker.Start();
        return worker;
    }
}
