using Multiprocess.Managers.Referents;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.Internal;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// A client that sent <c>get</c> on a manager Queue and hung up before its answer must not take an item with it:
/// whether its server thread reads the request before the hang-up (and blocks, or finds the queue empty) or after
/// (the items already put), every item put afterwards comes back to the other clients, in order.
/// interop-tests/test_manager_server_faults.py::test_client_killed_while_blocked_leaves_no_hole lost one under load.
/// </summary>
public class DeadQueueWaiterTests
{
    private static readonly byte[] Key = "dead waiter key"u8.ToArray();
    private static readonly PyTuple None = PyTuple.Create("#RETURN", null);

    [TestCase("@", "Queue")]
    [TestCase("127.0.0.1:0", "Queue")]
    [TestCase("@", "JoinableQueue")]
    public void ClientGoneBeforeItsGet_TakesNoItem(string where, string typeId)
    {
        var address = where == "@" ? $"@dead-waiter-test-{Environment.ProcessId}-{Guid.NewGuid():N}" : where;
        using var server = new SyncManagerServer(address, Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, typeId);
        using var a = Proxy(server.BoundAddress, Key, "a");
        for (var round = 0; round < 200; round++)
        {
            // The dead client: its get is written, then it is gone before (or while) the server serves it.
            using (var b = Proxy(server.BoundAddress, Key, "b"))
            {
                b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "get", PyTuple.Empty, new PyDict())));
                if (round % 2 == 1)
                {
                    Thread.Sleep(1); // some rounds let the server block in the get first
                }
            }

            for (var i = 0L; i < 5; i++)
            {
                Assert.That(Request(a, ident, "put", PyTuple.Create(i)), Is.EqualTo(None));
            }

            for (var i = 0L; i < 5; i++)
            {
                var reply = Request(a, ident, "get", PyTuple.Create(true, 5.0));
                Assert.That(reply[1], Is.EqualTo(i), () => $"round {round}, item {i}: {PyRepr.Repr(reply)}");
            }

            Assert.That(Request(a, ident, "qsize")[1], Is.EqualTo(0L), $"round {round}");
        }
    }

    [TestCase("@", true)]
    [TestCase("127.0.0.1:0", true)]
    [TestCase("@", false)]
    [TestCase("127.0.0.1:0", false)]
    [NonParallelizable] // sets the process-wide SharedCallContext.PeerCheckBeforeEveryTake
    public void ClientGoneBeforeItsGetIsRead_ItemsWaiting_KeepsThemInOrder(string where, bool checkEveryTake)
    {
        // checkEveryTake false: MULTIPROCESS_QUEUE_PEER_CHECK=tcp, the check kept where the give-back cannot keep the item.
        var saved = SharedCallContext.PeerCheckBeforeEveryTake;
        SharedCallContext.PeerCheckBeforeEveryTake = checkEveryTake;
        try
        {
            ItemsWaiting_ClientGoneBeforeItsGetIsRead(where);
        }
        finally
        {
            SharedCallContext.PeerCheckBeforeEveryTake = saved;
        }
    }

    private static void ItemsWaiting_ClientGoneBeforeItsGetIsRead(string where)
    {
        // The get that finds items at once, read after its client hung up (sent just before a kill, served late):
        // the peer check before the take keeps the item. On TCP nothing else would (a send to the closed peer
        // succeeds: without the check this fails at round 0); on AF_UNIX the failed reply (EPIPE) would give it back
        // to the front (without the check, this passes there only with the give-back). The other client then gets
        // every item, in order. The request is padded with 2 M NONE/POP pairs, so that the server is still decoding
        // it when the client closes: the close comes microseconds after the write.
        var address = where == "@" ? $"@dead-waiter-test-{Environment.ProcessId}-{Guid.NewGuid():N}" : where;
        using var server = new SyncManagerServer(address, Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "Queue");
        using var a = Proxy(server.BoundAddress, Key, "a");
        var slowGet = SlowToDecode(PickleSerializer.Dumps(PyTuple.Create(ident, "get", PyTuple.Empty, new PyDict())), 2_000_000);
        for (var round = 0; round < 10; round++)
        {
            for (var i = 0L; i < 5; i++)
            {
                Assert.That(Request(a, ident, "put", PyTuple.Create(i)), Is.EqualTo(None));
            }

            var before = WaitForConnections(server, c => c <= 1, "only a's connection open");
            using (var b = Proxy(server.BoundAddress, Key, "b"))
            {
                b.SendBytes(slowGet);
            }

            WaitForConnections(server, c => c <= before, "b's session over");
            for (var i = 0L; i < 5; i++)
            {
                var reply = Request(a, ident, "get", PyTuple.Create(true, 5.0));
                Assert.That(reply[1], Is.EqualTo(i), () => $"round {round}, item {i}: {PyRepr.Repr(reply)}");
            }

            Assert.That(Request(a, ident, "qsize")[1], Is.EqualTo(0L), $"round {round}");
        }
    }

    [TestCase(false, 1, 0L)]
    [TestCase(true, 0, 1L)]
    public void GetFindingAnItem_WithReplyFailsIfPeerGone_DoesNotAskThePeer(bool replyFails, int polls, long taken)
    {
        // With MULTIPROCESS_QUEUE_PEER_CHECK=tcp a get that finds an item at once asks whether its client hung up
        // right before the take (a poll(2) on the client's socket) only where a reply to a dead client would succeed
        // (TCP); where it fails (AF_UNIX: EPIPE) the give-back keeps the item and the system call is spared. Here the
        // client is gone: asked, the get takes nothing; not asked, it takes the item, which its failed reply then
        // gives back (the socket test above, run with the switch on both families).
        using var h = new ServerHarness();
        var asked = 0;
        var client = h.Server.NewContext("b", () =>
        {
            asked++;
            return true;
        });
        client.ReplyFailsIfPeerGone = replyFails;
        var q = h.Create("Queue");
        h.Return(h.NewClient("a"), q, "put", 1L);
        string outcome;
        try
        {
            outcome = PyRepr.Repr(h.Server.ServeRequest(PyTuple.Create(q, "get", PyTuple.Empty, new PyDict()), client));
        }
        catch (SessionAbortedException)
        {
            outcome = "aborted";
        }

        Assert.That(asked, Is.EqualTo(polls), "peer checks before the take");
        Assert.That(outcome, Is.EqualTo(taken == 1 ? "('#RETURN', 1)" : "aborted"));
        Assert.That(h.Return(h.NewClient("c"), q, "qsize"), Is.EqualTo(1L - taken));
    }

    [TestCase("@")]
    [TestCase("127.0.0.1:0")]
    public void ItemWhoseReplyCannotBeSent_GoesBackToTheFront(string where)
    {
        // A live client that leaves its reply unread: the peer check passes, the item is taken, and the send of a
        // reply larger than any socket buffer fails at the stall limit. The item must come back first, not last.
        var address = where == "@" ? $"@dead-waiter-test-{Environment.ProcessId}-{Guid.NewGuid():N}" : where;
        var log = new StringWriter();
        using var server = new SyncManagerServer(address, Key, new SyncManagerServerOptions { StallTimeout = TimeSpan.FromMilliseconds(300), Logger = new TextWriterLogger(log) });
        server.Start();
        var ident = Create(server.BoundAddress, Key, "Queue");
        using var a = Proxy(server.BoundAddress, Key, "a");
        var big = new byte[32 << 20];
        big[^1] = 7;
        Assert.That(Request(a, ident, "put", PyTuple.Create(big)), Is.EqualTo(None));
        Assert.That(Request(a, ident, "put", PyTuple.Create(1L)), Is.EqualTo(None));
        using var b = Proxy(server.BoundAddress, Key, "b");
        b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "get", PyTuple.Empty, new PyDict())));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!Logged(log).Contains("StallTimeout = 0.3 s") && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.That(Logged(log), Does.Contain("StallTimeout = 0.3 s"), "b's session ended at the stall limit");
        var first = Request(a, ident, "get", PyTuple.Create(true, 5.0))[1];
        Assert.That(first, Is.InstanceOf<byte[]>().And.Length.EqualTo(big.Length), "the given-back item is first");
        Assert.That(((byte[])first!)[^1], Is.EqualTo(7));
        Assert.That(Request(a, ident, "get", PyTuple.Create(true, 5.0))[1], Is.EqualTo(1L));
        Assert.That(Request(a, ident, "qsize")[1], Is.EqualTo(0L));
    }

    /// <summary>
    /// The same request behind <paramref name="pairs"/> NONE/POP pairs (a protocol-2 pickle without the FRAME of
    /// protocol 4): the server decodes the same tuple, later.
    /// </summary>
    private static byte[] SlowToDecode(byte[] pickle, int pairs)
    {
        // 0x80 PROTO 4, then 0x95 FRAME with its 8-byte length: dropped (FRAME is optional), the body follows.
        Assert.That(pickle[0], Is.EqualTo(0x80));
        var body = pickle[2] == 0x95 ? pickle.AsSpan(11) : pickle.AsSpan(2);
        var padded = new byte[2 + (2 * pairs) + body.Length];
        padded[0] = 0x80;
        padded[1] = 4;
        for (var i = 0; i < pairs; i++)
        {
            padded[2 + (2 * i)] = (byte)'N';      // NONE: push None
            padded[3 + (2 * i)] = (byte)'0';      // POP: discard it
        }

        body.CopyTo(padded.AsSpan(2 + (2 * pairs)));
        return padded;
    }

    private static int WaitForConnections(SyncManagerServer server, Func<int, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!done(server.ActiveConnections) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.That(done(server.ActiveConnections), $"{what} within 20 s: {server.ActiveConnections} active connections");
        return server.ActiveConnections;
    }

    private static string Logged(StringWriter log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
