using System.Collections.Concurrent;
using Multiprocess.Processes;
using Multiprocess.Queues;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Processes;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Queues;

/// <summary>Queues created here and handed to CPython children of every version: C# and Python producers and
/// consumers on one queue under contention (exact multiset of items), JoinableQueue join across the language line,
/// and Connections travelling inside queue items through the resource sharers.</summary>
[TestFixture]
public sealed class QueueInteropTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Items in the contention test: 20,000 by default, 100,000 with MULTIPROCESS_SOAK=1.</summary>
    private static int ContentionItems => Environment.GetEnvironmentVariable("MULTIPROCESS_SOAK") == "1" ? 100_000 : 20_000;

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Queue_TwoCSharpAndTwoPythonProducersAndConsumers_ExactMultiset(string version)
    {
        var perProducer = ContentionItems / 4;
        using var q = new Queue(maxSize: 1000);
        using var results = new Queue();
        var options = PythonTargets.Options(version);
        var processes = new List<PythonProcess>
        {
            new(PythonTargets.Target("produce"), [q, 1L, (long)perProducer], options: options),
            new(PythonTargets.Target("produce"), [q, 2L, (long)perProducer], options: options),
            new(PythonTargets.Target("consume_until_none"), [q, results], options: options),
            new(PythonTargets.Target("consume_until_none"), [q, results], options: options),
        };
        var received = new ConcurrentBag<object?>();
        try
        {
            processes.ForEach(p => p.Start());
            var producers = new[] { 3L, 4L }.Select(tag => new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++)
                {
                    q.Put((tag * 10_000_000) + i);
                }
            })).ToList();
            var consumers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
            {
                while (q.Get(timeout: Wait) is { } item)
                {
                    received.Add(item);
                }
            })).ToList();
            producers.Concat(consumers).ToList().ForEach(t => t.Start());

            producers.ForEach(t => t.Join());
            Assert.That(processes[0].Join(Wait) && processes[1].Join(Wait), Is.True, "Python producers finished");
            for (var i = 0; i < 4; i++)
            {
                q.Put(null);   // one end marker per consumer, behind every item
            }

            consumers.ForEach(t => Assert.That(t.Join(Wait), Is.True));
            for (var i = 0; i < 2; i++)
            {
                foreach (var item in (List<object?>)results.Get(timeout: Wait)!)
                {
                    received.Add(item);
                }
            }

            Assert.That(processes.All(p => p.Join(Wait) && p.ExitCode == 0), Is.True);
            var expected = new[] { 1L, 2L, 3L, 4L }.SelectMany(tag => Enumerable.Range(0, perProducer).Select(i => (tag * 10_000_000) + i)).Order();
            Assert.That(received.Cast<long>().Order(), Is.EqualTo(expected));
            Assert.That(q.QSize(), Is.EqualTo(0));
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void JoinableQueue_PythonConsumersCallTaskDone_CSharpJoinReturnsAfterAll(string version)
    {
        using var jq = new JoinableQueue();
        using var results = new Queue();
        for (var i = 0; i < 200; i++)
        {
            jq.Put((long)i);
        }

        jq.Put(null);
        jq.Put(null);
        Assert.That(jq.Join(TimeSpan.Zero), Is.False);
        var consumers = Enumerable.Range(0, 2)
            .Select(_ => new PythonProcess(PythonTargets.Target("joinable_consume"), [jq, results], options: PythonTargets.Options(version)))
            .ToList();
        try
        {
            consumers.ForEach(p => p.Start());
            Assert.That(jq.Join(Wait), Is.True);
            Assert.That(jq.UnfinishedTasks.GetValue(), Is.EqualTo(0));
            var doubled = Enumerable.Range(0, 200).Select(_ => (long)results.Get(timeout: Wait)!).Order().ToList();
            Assert.That(doubled, Is.EqualTo(Enumerable.Range(0, 200).Select(i => 2L * i)));
        }
        finally
        {
            consumers.ForEach(p => p.Dispose());
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void JoinableQueue_PythonProducerJoins_WaitsForCSharpTaskDone(string version)
    {
        using var jq = new JoinableQueue();
        using var producer = new PythonProcess(PythonTargets.Target("joinable_produce"), [jq, 50L], options: PythonTargets.Options(version));
        producer.Start();
        for (var i = 0; i < 50; i++)
        {
            Assert.That(jq.Get(timeout: Wait), Is.EqualTo((long)i));
            if (i < 49)
            {
                jq.TaskDone();
            }
        }

        Assert.That(producer.Join(TimeSpan.FromMilliseconds(300)), Is.False, "the producer's join() waits for the last task_done()");
        jq.TaskDone();
        Assert.That(producer.Join(Wait), Is.True);
        Assert.That(producer.ExitCode, Is.EqualTo(0));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void ConnectionInQueueItem_BothWays_FdFetchedThroughResourceSharer(string version)
    {
        // Python → C#: the child puts a Connection on a queue; this process fetches the fd from the child's sharer.
        var (reader, writer) = Conn.Pipe(duplex: false);
        using (reader)
        using (writer)
        using (var q = new Queue())
        using (var ack = new Queue())
        using (var child = new PythonProcess(PythonTargets.Target("send_connection"), [q, writer, ack], options: PythonTargets.Options(version)))
        {
            child.Start();
            using var received = (Conn)q.Get(timeout: Wait)!;
            received.SendBytes("after"u8);
            ack.Put(null);
            Assert.That(reader.RecvBytes(null, Wait), Is.EqualTo("before"u8.ToArray()));
            Assert.That(reader.RecvBytes(null, Wait), Is.EqualTo("after"u8.ToArray()));
            Assert.That(child.Join(Wait) && child.ExitCode == 0, Is.True);
        }

        // C# → Python: this process puts a Connection on a queue; the child fetches the fd from this process's sharer.
        var (reader2, writer2) = Conn.Pipe(duplex: false);
        using (reader2)
        using (var q = new Queue())
        using (var child = new PythonProcess(PythonTargets.Target("use_connection_from"), [q, "hello from python"u8.ToArray()], options: PythonTargets.Options(version)))
        {
            child.Start();
            q.Put(writer2);
            writer2.Close();
            Assert.That(reader2.RecvBytes(null, Wait), Is.EqualTo("hello from python"u8.ToArray()));
            Assert.That(child.Join(Wait) && child.ExitCode == 0, Is.True);
        }
    }
}
