using System.Diagnostics;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// A Lock, RLock or Semaphore released while another client waits in acquire is handed over, and the waiter's
/// client is answered by the releasing thread at once: exactly one <c>('#RETURN', True)</c>, then its next call
/// is answered as usual. The waiting thread sleeps on its client's socket until the next request (Waiter's
/// AwaitNextRequest): a client that sends before its answer, or hangs up, is still served in order.
/// </summary>
public class LockHandoffTests
{
    private static readonly byte[] Key = "handoff key"u8.ToArray();
    private static readonly PyTuple True = PyTuple.Create("#RETURN", true);
    private static readonly PyTuple None = PyTuple.Create("#RETURN", null);

    [TestCase("Lock")]
    [TestCase("RLock")]
    [TestCase("Semaphore")]
    public void ReleaseHandsOverToTheWaiter_WhoseClientGetsOneReply(string typeId)
    {
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var ident = typeId == "Semaphore" ? Create(server.BoundAddress, Key, typeId, 1L) : Create(server.BoundAddress, Key, typeId);
        using var a = Proxy(server.BoundAddress, Key, "a");
        using var b = Proxy(server.BoundAddress, Key, "b");
        for (var round = 0; round < 20; round++)
        {
            Assert.That(Request(a, ident, "acquire"), Is.EqualTo(True));
            b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Empty, new PyDict())));
            Assert.That(b.Poll(TimeSpan.FromMilliseconds(round == 0 ? 100 : 5)), Is.False, "b waits while a holds it");
            Assert.That(Request(a, ident, "release"), Is.EqualTo(None));
            Assert.That(PickleSerializer.Loads(b.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True), "b was handed it");

            // One reply only: b's next call gets its own answer, and a waits for b now.
            a.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Empty, new PyDict())));
            Assert.That(Request(b, ident, "release"), Is.EqualTo(None));
            Assert.That(PickleSerializer.Loads(a.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True));
            Assert.That(Request(a, ident, "release"), Is.EqualTo(None));
            Assert.That(a.Poll(TimeSpan.Zero) || b.Poll(TimeSpan.Zero), Is.False, "no reply left over");
        }
    }

    [Test]
    public void TimedOutWaiter_AnswersItself_NoSecondReply()
    {
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "Lock");
        using var a = Proxy(server.BoundAddress, Key, "a");
        using var b = Proxy(server.BoundAddress, Key, "b");
        Assert.That(Request(a, ident, "acquire"), Is.EqualTo(True));
        Assert.That(Request(b, ident, "acquire", PyTuple.Create(true, 0.05)), Is.EqualTo(PyTuple.Create("#RETURN", false)));
        Assert.That(Request(a, ident, "release"), Is.EqualTo(None));
        Assert.That(Request(b, ident, "acquire"), Is.EqualTo(True));
        Assert.That(Request(b, ident, "release"), Is.EqualTo(None));
        Assert.That(b.Poll(TimeSpan.FromMilliseconds(50)), Is.False);
    }

    [TestCase("Lock")]
    [TestCase("Semaphore")]
    public void WaiterThatSendsBeforeItsAnswer_IsAnsweredInOrder(string typeId)
    {
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var ident = typeId == "Semaphore" ? Create(server.BoundAddress, Key, typeId, 1L) : Create(server.BoundAddress, Key, typeId);
        using var a = Proxy(server.BoundAddress, Key, "a");
        using var b = Proxy(server.BoundAddress, Key, "b");
        Assert.That(Request(a, ident, "acquire"), Is.EqualTo(True));
        b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Empty, new PyDict())));
        b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Create(false), new PyDict())));
        Assert.That(b.Poll(TimeSpan.FromMilliseconds(100)), Is.False, "b waits while a holds it");
        Assert.That(Request(a, ident, "release"), Is.EqualTo(None));
        Assert.That(PickleSerializer.Loads(b.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True), "b's acquire first");
        Assert.That(PickleSerializer.Loads(b.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(PyTuple.Create("#RETURN", false)), "then its non-blocking acquire, while it holds it");
        Assert.That(Request(b, ident, "release"), Is.EqualTo(None));
        Assert.That(Request(a, ident, "acquire", PyTuple.Create(false)), Is.EqualTo(True));
        Assert.That(b.Poll(TimeSpan.FromMilliseconds(50)), Is.False, "no reply left over");
    }

    [TestCase("Lock", false)]
    [TestCase("Lock", true)]
    [TestCase("RLock", true)]
    [TestCase("Semaphore", true)]
    public void WaiterWhoseClientHangsUp_DoesNotKeepIt(string typeId, bool releaseFirst)
    {
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var ident = typeId == "Semaphore" ? Create(server.BoundAddress, Key, typeId, 1L) : Create(server.BoundAddress, Key, typeId);
        using var a = Proxy(server.BoundAddress, Key, "a");
        using var c = Proxy(server.BoundAddress, Key, "c");
        Assert.That(Request(a, ident, "acquire"), Is.EqualTo(True));
        var b = Proxy(server.BoundAddress, Key, "b");
        b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Empty, new PyDict())));
        Assert.That(b.Poll(TimeSpan.FromMilliseconds(100)), Is.False, "b waits while a holds it");
        if (releaseFirst)
        {
            // Handed to b, whose answer finds its socket closed: b never heard of it, so it is given back.
            b.Dispose();
            Assert.That(Request(a, ident, "release"), Is.EqualTo(None));
        }
        else
        {
            // b is gone before the release: its wait ends, and the release frees the lock.
            b.Dispose();
            Assert.That(SpinWait.SpinUntil(() => server.ActiveConnections <= 2, 30_000), Is.True, "b's connection never ended");
            Assert.That(Request(a, ident, "release"), Is.EqualTo(None));
        }

        Assert.That(Request(c, ident, "acquire", PyTuple.Create(true, 30.0)), Is.EqualTo(True), "c gets it: b did not keep it");
        Assert.That(Request(c, ident, "release"), Is.EqualTo(None));
    }
    [TestCase("Lock")]
    [TestCase("RLock")]
    [TestCase("Semaphore")]
    public void ReleaserThatHangsUpAtOnce_StillHandsOver(string typeId)
    {
        // The hand-over is granted after the releasing client's reply (SharedCallContext.GrantAfterReply): a reply
        // that cannot be sent (the client is gone) must not lose it.
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var ident = typeId == "Semaphore" ? Create(server.BoundAddress, Key, typeId, 1L) : Create(server.BoundAddress, Key, typeId);
        using var b = Proxy(server.BoundAddress, Key, "b");
        for (var round = 0; round < 10; round++)
        {
            var a = Proxy(server.BoundAddress, Key, "a");
            Assert.That(Request(a, ident, "acquire"), Is.EqualTo(True));
            b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Empty, new PyDict())));
            Assert.That(b.Poll(TimeSpan.FromMilliseconds(round == 0 ? 100 : 5)), Is.False, "b waits while a holds it");
            a.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "release", PyTuple.Empty, new PyDict())));
            a.Dispose();
            Assert.That(b.Poll(TimeSpan.FromSeconds(30)), Is.True, $"round {round}: b was never handed it");
            Assert.That(PickleSerializer.Loads(b.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True));
            Assert.That(Request(b, ident, "release"), Is.EqualTo(None));
        }
    }

    [Test]
    public void SemaphoreReleaseN_GrantsEveryWaiter_AfterTheReleasersReply()
    {
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "Semaphore", 0L);
        using var a = Proxy(server.BoundAddress, Key, "a");
        var waiters = Enumerable.Range(0, 3).Select(i => Proxy(server.BoundAddress, Key, $"w{i}")).ToArray();
        try
        {
            foreach (var w in waiters)
            {
                w.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "acquire", PyTuple.Empty, new PyDict())));
            }

            Assert.That(waiters.Any(w => w.Poll(TimeSpan.FromMilliseconds(100))), Is.False, "all wait at 0");
            Assert.That(Request(a, ident, "release", PyTuple.Create(3L)), Is.EqualTo(None));
            foreach (var w in waiters)
            {
                Assert.That(w.Poll(TimeSpan.FromSeconds(30)), Is.True, "release(3) granted fewer than three");
                Assert.That(PickleSerializer.Loads(w.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True));
            }

            Assert.That(Request(a, ident, "acquire", PyTuple.Create(false)), Is.EqualTo(PyTuple.Create("#RETURN", false)), "no unit left over");
        }
        finally
        {
            foreach (var w in waiters)
            {
                w.Dispose();
            }
        }
    }

    [Test]
    public void ConditionWait_HandsItsLockToABlockedAcquirer_WhileItWaits()
    {
        // wait() releases the lock inside the call (_release_save) and blocks: that hand-over cannot wait for the
        // waiting client's reply (there is none until the wait ends), and it answers the blocked acquirer at once,
        // not at its thread's next peer check (Waiter.PeerCheckInterval, 1 s), which only sees the grant.
        using var server = new SyncManagerServer($"@handoff-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        using var a = Proxy(server.BoundAddress, Key, "a");
        using var b = Proxy(server.BoundAddress, Key, "b");
        var cond = Create(server.BoundAddress, Key, "Condition");
        Assert.That(Request(a, cond, "acquire"), Is.EqualTo(True));
        b.SendBytes(PickleSerializer.Dumps(PyTuple.Create(cond, "acquire", PyTuple.Empty, new PyDict())));
        Assert.That(b.Poll(TimeSpan.FromMilliseconds(50)), Is.False, "b waits while a holds it");
        a.SendBytes(PickleSerializer.Dumps(PyTuple.Create(cond, "wait", PyTuple.Empty, new PyDict())));
        var handedOver = Stopwatch.StartNew();
        Assert.That(b.Poll(TimeSpan.FromSeconds(30)), Is.True, "a's wait did not hand the lock to b");
        Assert.That(handedOver.ElapsedMilliseconds, Is.LessThan(500), "b was answered only at its next peer check");
        Assert.That(PickleSerializer.Loads(b.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True));
        Assert.That(Request(b, cond, "notify"), Is.EqualTo(None));
        Assert.That(Request(b, cond, "release"), Is.EqualTo(None));
        Assert.That(a.Poll(TimeSpan.FromSeconds(30)), Is.True, "a's wait never returned");
        Assert.That(PickleSerializer.Loads(a.RecvBytes(null, TimeSpan.FromSeconds(10))), Is.EqualTo(True));
        Assert.That(Request(a, cond, "release"), Is.EqualTo(None));
    }
}
