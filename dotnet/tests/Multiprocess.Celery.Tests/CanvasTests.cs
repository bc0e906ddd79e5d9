using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Celery.Worker;
using static Multiprocess.Celery.Tests.Support.TestWorkers;

namespace Multiprocess.Celery.Tests;

/// <summary>
/// Groups and chords sent by the C# client, counted by Celery 5.2's Redis chord counter, with header parts run by
/// C# and Python workers and the body sent by whichever finishes last.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CanvasTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Broker => CeleryServers.Redis.Url(6);

    [Test]
    public void Group_OnCSharpWorker_ResultsInOrder()
    {
        var queue = Unique("group");
        using var worker = Start(queue);
        using var client = new CeleryClient(Broker);
        var g = client.Group(Enumerable.Range(0, 10).Select(i => new Signature("t.add", [i, 100], options: new SendOptions { Queue = queue })));
        Assert.That(g.Get(Wait), Is.EqualTo(Enumerable.Range(100, 10).Select(i => (object?)(long)i)));
        Assert.That(g.CompletedCount, Is.EqualTo(10));
    }

    [Test]
    public void Chord_OnCSharpWorker_BodyGetsTheHeaderResultsInOrder()
    {
        var queue = Unique("chord");
        using var worker = Start(queue);
        using var client = new CeleryClient(Broker);
        var header = Enumerable.Range(1, 8).Select(i => new Signature("t.slow", [i, 9 - i], options: new SendOptions { Queue = queue }));
        var r = client.Chord(header, new Signature("t.list", ["end"], options: new SendOptions { Queue = queue }));
        var list = (List<object?>)r.Get(Wait)!;
        Assert.That(list, Has.Count.EqualTo(2));
        Assert.That(list[0], Is.EqualTo(new List<object?> { 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L }), "results in header order, whatever order they finished in");
        Assert.That(list[1], Is.EqualTo("end"));
    }

    [Test]
    public void Chord_AFailedPart_FailsTheBodyWithChordError()
    {
        var queue = Unique("chordfail");
        using var worker = Start(queue);
        using var client = new CeleryClient(Broker);
        var header = new[]
        {
            new Signature("t.add", [1, 1], options: new SendOptions { Queue = queue }),
            new Signature("t.fail", ["broken part"], options: new SendOptions { Queue = queue }),
        };
        var r = client.Chord(header, new Signature("t.list", [], options: new SendOptions { Queue = queue }));
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("ChordError"));
        Assert.That(e.Message, Does.Contain("broken part"));
    }

    [Test]
    public void Chord_PythonPartFinishesLast_PythonWorkerSendsTheBodyToCSharp()
    {
        var (result, pythonLog) = MixedChord((cs, py) => (
            [
                new Signature("t.add", [1, 2], options: new SendOptions { Queue = cs }),
                new Signature("tests.sleep", [1.0], options: new SendOptions { Queue = py }),
            ],
            new Signature("t.list", [], options: new SendOptions { Queue = cs })));
        Assert.That(((List<object?>)result!)[0], Is.EqualTo(new List<object?> { 3L, 1.0 }), pythonLog);
    }

    [Test]
    public void Chord_CSharpPartFinishesLast_CSharpWorkerSendsTheBodyToPython()
    {
        var (result, pythonLog) = MixedChord((cs, py) => (
            [
                new Signature("tests.add", [1, 2], options: new SendOptions { Queue = py }),
                new Signature("t.slow", [3, 4], options: new SendOptions { Queue = cs }),
            ],
            new Signature("tests.xsum", [100], options: new SendOptions { Queue = py })));
        Assert.That(result, Is.EqualTo(106L), pythonLog); // sum([3, 3]) + 100
    }

    [Test]
    public void Chain_OnCSharpWorker_EachStepGetsThePreviousResult()
    {
        // Python workers reading a C# chain: AmqpWorkerTests.Chain_RpcBackend_PythonAndCSharpStepsReplyToTheClient
        // (the message is the same on both brokers; one Python worker start is enough for CI).
        var queue = Unique("chain");
        var other = Unique("chain-other");
        using var worker = Start(queue);
        using var second = Start(other);
        using var client = new CeleryClient(Broker);
        var middle = Guid.NewGuid().ToString();
        var r = client.Chain(
        [
            new Signature("t.add", [1, 2], options: new SendOptions { Queue = queue }),
            new Signature("t.add", [10], options: new SendOptions { Queue = other, TaskId = middle }),
            new Signature("t.add", [100], options: new SendOptions { Queue = queue }),
            new Signature("t.list", ["end"], options: new SendOptions { Queue = other }) { Immutable = true },
            new Signature("t.list", ["last"], options: new SendOptions { Queue = queue }),
        ]);
        Assert.That(r.Get(Wait), Is.EqualTo(new List<object?> { new List<object?> { "end" }, "last" }));
        Assert.That(client.AsyncResult(middle).Get(Wait), Is.EqualTo(13L), "step 2 got step 1's 3 before its own 10, under the id the client chose, on its own queue");
    }

    [Test]
    public void Chain_AFailedStep_EndsTheChain()
    {
        var queue = Unique("chain-fail");
        using var worker = Start(queue);
        using var client = new CeleryClient(Broker);
        var failing = Guid.NewGuid().ToString();
        var r = client.Chain(
        [
            new Signature("t.add", [1, 1], options: new SendOptions { Queue = queue }),
            new Signature("t.fail", ["step 2 broke"], options: new SendOptions { Queue = queue, TaskId = failing }) { Immutable = true },
            new Signature("t.add", [5], options: new SendOptions { Queue = queue }),
        ]);
        var e = Assert.Throws<CeleryTaskException>(() => client.AsyncResult(failing).Get(Wait))!;
        Assert.That(e.Message, Does.Contain("step 2 broke"));
        Assert.That(r.State, Is.EqualTo(TaskStates.Pending), "the step after a failure is never sent");
    }

    [Test]
    public void Chain_OneStep_IsAPlainTask()
    {
        var queue = Unique("chain-one");
        using var worker = Start(queue);
        using var client = new CeleryClient(Broker);
        Assert.That(client.Chain([new Signature("t.add", [4, 5], options: new SendOptions { Queue = queue })]).Get(Wait), Is.EqualTo(9L));
        Assert.Throws<ArgumentException>(() => client.Chain([]));
    }

    [Test]
    public void Chord_RpcBackend_IsRefusedAsInCelery()
    {
        using var client = new CeleryClient(CeleryServers.Rabbit.Url);
        var e = Assert.Throws<NotSupportedException>(() => client.Chord([new Signature("t.add", [1, 2])], new Signature("t.list")))!;
        Assert.That(e.Message, Does.Contain("rpc://"));
    }

    /// <summary>A chord whose parts run on a C# worker (queue <c>cs</c>) and a Python worker (queue <c>py</c>), as
    /// <paramref name="chord"/> lays them out: its result and the Python worker's log.</summary>
    private static (object? Result, string PythonLog) MixedChord(Func<string, string, (Signature[] Header, Signature Body)> chord)
    {
        var cs = Unique("chord-cs");
        var py = Unique("chord-py");
        using var worker = Start(cs);
        using var python = PythonCelery.StartWorker(Broker, py, "pychord", concurrency: 2);
        using var client = new CeleryClient(Broker);
        var (header, body) = chord(cs, py);
        var result = client.Chord(header, body).Get(Wait);
        return (result, python.Tail());
    }

    private static CeleryWorker Start(string queue) => TestWorkers.Start(Broker, queue, Register, concurrency: 4);

    private static void Register(CeleryWorker worker)
    {
        worker.Register("t.add", args => Convert.ToInt64(args[0], System.Globalization.CultureInfo.InvariantCulture) + Convert.ToInt64(args[1], System.Globalization.CultureInfo.InvariantCulture));
        worker.Register("t.slow", args =>
        {
            // Later parts finish first: the body must still see header order.
            var a = Convert.ToInt64(args[0], System.Globalization.CultureInfo.InvariantCulture);
            Thread.Sleep(TimeSpan.FromMilliseconds(100 * (9 - Math.Min(a, 8))));
            return a;
        });
        worker.Register("t.list", args => args.ToList());
        worker.Register("t.fail", args => throw new ArgumentException((string)args[0]!));
    }
}
