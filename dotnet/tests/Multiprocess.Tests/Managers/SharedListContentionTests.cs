using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>One list appended to from several proxy connections at once (the <c>manager-server</c> suite's list case).</summary>
public class SharedListContentionTests
{
    private static readonly byte[] Key = "list key"u8.ToArray();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static byte[] CPythonReturnNone => ReturnReplyBytesTests.CPythonReturnNone;

    [Test]
    public void ConcurrentAppends_AllLand_EachConnectionsInItsOrder()
    {
        const int Clients = 4;
        const int PerClient = 5_000;
        using var server = new SyncManagerServer($"@list-contention-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var list = Create(server.BoundAddress, Key, "list");
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, Clients).Select(c => new Thread(() =>
        {
            try
            {
                using var proxy = Proxy(server.BoundAddress, Key, $"client {c}");
                for (var i = 0; i < PerClient; i++)
                {
                    // Values above 65,535 are boxed per call (the unpickler shares boxes of smaller ints only).
                    proxy.SendBytes(PickleSerializer.Dumps(PyTuple.Create(list, "append", PyTuple.Create(((long)c * 1_000_000) + i), new PyDict())));
                    var reply = proxy.RecvBytes(null, Patience);
                    if (!reply.AsSpan().SequenceEqual(CPythonReturnNone))
                    {
                        failures.Enqueue($"client {c}, append {i}: {PyRepr.Repr(PickleSerializer.Loads(reply))}");
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"client {c}: {e}");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        foreach (var t in threads)
        {
            Assert.That(t.Join(TimeSpan.FromSeconds(120)), Is.True, "an appending client did not finish within 120 s");
        }

        Assert.That(failures, Is.Empty);
        using var check = Proxy(server.BoundAddress, Key);
        var items = (List<object?>)Request(check, list, "#GETVALUE")[1]!;
        Assert.That(items, Has.Count.EqualTo(Clients * PerClient));
        for (var c = 0; c < Clients; c++)
        {
            var mine = items.Cast<long>().Where(v => v / 1_000_000 == c).Select(v => v % 1_000_000);
            Assert.That(mine, Is.EqualTo(Enumerable.Range(0, PerClient).Select(i => (long)i)), $"client {c}'s appends, in its order");
        }
    }
}
