using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.TestUtilities;

namespace Multiprocess.Celery.Tests;

/// <summary>
/// The commands themselves (issue 14): <c>multiprocess celery worker</c> (READY once consuming) with its built-in
/// <c>multiprocess.sum</c> and <c>multiprocess.echo</c>, reached by <c>multiprocess celery send</c> on both brokers and
/// by a Python client with pickle (<c>--result-serializer pickle</c>: the echo's values come back equal, types included).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CliCommandTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [TestCase("redis")]
    [TestCase("amqp")]
    public void Send_SumAndEcho_ToTheWorkerCommand_PrintTheResultAsJson(string brokerKind)
    {
        var broker = brokerKind == "redis" ? CeleryServers.Redis.Url(8) : CeleryServers.Rabbit.Url;
        var queue = $"cli-{brokerKind}-{Guid.NewGuid():N}";
        using var worker = CSharpWorkerProcess.Start(broker, queue); // returns once it printed READY
        Assert.That(Send(broker, queue, "multiprocess.sum", "[1, 2, 3.5]"), Is.EqualTo("6.5"), worker.Tail());
        var echoed = CeleryJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(Send(broker, queue, "multiprocess.echo", "[\"é\", [1, 2], {\"k\": null}, 2.5]")));
        Assert.That(echoed, Is.EqualTo(new List<object?> { "é", new List<object?> { 1L, 2L }, new Dictionary<string, object?> { ["k"] = null }, 2.5 }), worker.Tail());
    }

    [Test]
    public void Echo_PythonClientWithPickle_WorkerCommandResultSerializerPickle_ValuesComeBackEqual()
    {
        var broker = CeleryServers.Redis.Url(8);
        var queue = $"cli-pickle-{Guid.NewGuid():N}";
        using var worker = CSharpWorkerProcess.Start(broker, queue, "--result-serializer", "pickle");
        var env = new Dictionary<string, string> { ["CELERY_TEST_RESULT_SERIALIZER"] = "pickle" };
        var reply = PythonCelery.RunClient(broker, ["echo-pickle", "multiprocess.echo", queue], env);
        Assert.That(reply.GetProperty("state").GetString(), Is.EqualTo("SUCCESS"), reply.ToString());
        Assert.That(reply.GetProperty("equal").GetBoolean(), Is.True, reply.GetProperty("repr").GetString());
    }

    // `multiprocess celery send NAME ARGS --wait S`: its stdout is the result as JSON (stderr is empty on success).
    private static string Send(string broker, string queue, string name, string args)
    {
        using var send = ChildProcess.Start(EngineCommands.Cli, ["celery", "send", name, args, "--broker", broker, "--queue", queue, "--wait", "30"]);
        Assert.That(send.WaitForExit(Wait), Is.Zero, send.Output);
        return send.Output.Trim();
    }
}
