using System.Diagnostics;
using Multiprocess.Managers.Referents;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// Lock, RLock, Semaphore, Event, Condition, Barrier and Queue at the object level, each client a
/// <see cref="SharedCallContext"/> on its own thread (as each connection has in the server).
/// </summary>
public class SynchronizationReferentTests
{
    private ServerHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new ServerHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void RLock_IsOwnedByTheConnection()
    {
        var a = _h.NewClient("a");
        var b = _h.NewClient("b");
        var r = _h.Create("RLock");
        Assert.That(_h.Return(a, r, "acquire"), Is.EqualTo(true));
        Assert.That(_h.Return(a, r, "acquire"), Is.EqualTo(true));
        Assert.That(_h.Return(b, r, "acquire", false), Is.EqualTo(false));
        Assert.That(_h.Error(b, r, "release").Message, Is.EqualTo("cannot release un-acquired lock"));
        Assert.That((string)_h.Return(a, r, "__repr__")!, Does.Contain("count=2"));
        _h.Return(a, r, "release");
        _h.Return(a, r, "release");
        Assert.That(_h.Return(b, r, "acquire", true, 1.0), Is.EqualTo(true));
    }

    [Test]
    public void Lock_AnyClientMayRelease_TimeoutAndArgumentErrors()
    {
        var a = _h.NewClient("a");
        var b = _h.NewClient("b");
        var l = _h.Create("Lock");
        _h.Return(a, l, "acquire");
        var sw = Stopwatch.StartNew();
        Assert.That(_h.Return(b, l, "acquire", true, 0.2), Is.EqualTo(false));
        Assert.That(sw.Elapsed.TotalSeconds, Is.GreaterThan(0.15));
        _h.Return(b, l, "release");
        Assert.That(_h.Error(a, l, "release").Message, Is.EqualTo("release unlocked lock"));
        Assert.That(_h.Error(a, l, "acquire", false, 1.0).Message, Is.EqualTo("can't specify a timeout for a non-blocking call"));
        Assert.That(_h.Error(a, l, "acquire", true, -2.0).Message, Is.EqualTo("timeout value must be a non-negative number"));
    }

    [Test]
    public void Lock_BlockedAcquire_WakesWhenAnotherClientReleases()
    {
        var a = _h.NewClient("a");
        var b = _h.NewClient("b");
        var l = _h.Create("Lock");
        _h.Return(a, l, "acquire");
        var waiter = Task.Run(() => _h.Return(b, l, "acquire"));
        ServerHarness.WaitUntilBlocked(b);
        Assert.That(waiter.IsCompleted, Is.False);
        _h.Return(a, l, "release");
        Assert.That(waiter.Wait(30_000) && (bool)waiter.Result!, Is.True);
    }

    [Test]
    public void Lock_HandedToAClientThatDiesAfterItsReply_StaysHeld()
    {
        // CPython's server sends "acquired" and the lock stays taken, whatever becomes of the client: one told it
        // holds the lock may have acted on it before it died (the chaos soak caught the give-back doing otherwise).
        // The call returns (its reply went out already); the serve loop's next read then finds the hang-up.
        var a = _h.NewClient("a");
        var gone = false;
        object? told = null;
        var b = _h.Server.NewContext("b", () => gone);
        b.SetReplySender(value => (told, gone) = (value, true));      // reads the reply, then is killed
        var l = _h.Create("Lock");
        _h.Return(a, l, "acquire");
        var waiter = Task.Run(() => CallUntilAborted(b, l, "acquire"));
        ServerHarness.WaitUntilBlocked(b);
        _h.Return(a, l, "release");
        Assert.That(waiter.Wait(30_000), Is.True);
        Assert.That((told, waiter.Result), Is.EqualTo((true, "returned")));
        Assert.That(_h.Return(a, l, "acquire", false), Is.EqualTo(false), "the dead holder's lock was given back");
    }

    [Test]
    public void Lock_HandedToAClientGoneBeforeItsReply_IsGivenBack()
    {
        var a = _h.NewClient("a");
        var gone = false;
        var b = _h.Server.NewContext("b", () => gone);
        b.SetReplySender(_ => throw new IOException("Broken pipe"));   // died while it waited: the reply cannot go
        var l = _h.Create("Lock");
        _h.Return(a, l, "acquire");
        var waiter = Task.Run(() => CallUntilAborted(b, l, "acquire"));
        ServerHarness.WaitUntilBlocked(b);
        gone = true;
        _h.Return(a, l, "release");
        Assert.That(waiter.Wait(30_000), Is.True);
        Assert.That(waiter.Result, Is.EqualTo("aborted"));
        Assert.That(_h.Return(a, l, "acquire", false), Is.EqualTo(true), "a client that never heard of its grant kept the lock");
    }

    [Test]
    public void Semaphore_BoundedRejectsOverRelease_ReleaseNWakesN()
    {
        var c = _h.NewClient();
        var s = _h.Create("Semaphore", 0L);
        var clients = Enumerable.Range(0, 3).Select(i => _h.NewClient($"w{i}")).ToArray();
        var waiters = clients.Select(w => Task.Run(() => _h.Return(w, s, "acquire", true, 60.0))).ToArray();
        ServerHarness.WaitUntilBlocked(clients);
        _h.Return(c, s, "release", 2L);
        Assert.That(SpinWait.SpinUntil(() => waiters.Count(t => t.IsCompleted) >= 2, 30_000), Is.True, "release(2) woke fewer than two");
        Assert.That(waiters.Count(t => t.IsCompleted), Is.EqualTo(2), "release(2) woke more than two");
        Assert.That(clients.Count(w => w.IsBlocked), Is.EqualTo(1));
        _h.Return(c, s, "release");
        Assert.That(Task.WaitAll(waiters, 30_000), Is.True);
        var b = _h.Create("BoundedSemaphore", 1L);
        Assert.That(_h.Error(c, b, "release").Message, Is.EqualTo("Semaphore released too many times"));
        Assert.That(_h.Public("create", "Semaphore", -1L)[1], Does.Contain("ValueError: semaphore initial value must be >= 0"));
    }

    [Test]
    public void Condition_WaitReleasesTheRLockAndNotifyWakesOne()
    {
        var a = _h.NewClient("a");
        var b = _h.NewClient("b");
        var cond = _h.Create("Condition");
        Assert.That(_h.Error(a, cond, "wait", 0.1).Message, Is.EqualTo("cannot wait on un-acquired lock"));
        _h.Return(a, cond, "acquire");
        var waited = Task.Run(() => _h.Return(a, cond, "wait", 60.0));
        ServerHarness.WaitUntilBlocked(a);
        _h.Return(b, cond, "acquire");            // possible only because wait released it
        Assert.That((string)_h.Return(b, cond, "__repr__")!, Does.EndWith(", 1)>"));
        _h.Return(b, cond, "notify");
        _h.Return(b, cond, "release");
        Assert.That(waited.Wait(30_000) && (bool)waited.Result!, Is.True);
        Assert.That(_h.Error(b, cond, "notify").Message, Is.EqualTo("cannot notify on un-acquired lock"));
        _h.Return(a, cond, "release");
    }

    [Test]
    public void Condition_NotifyWakesTheWaiterAtOnce_NotAtItsNextPeerCheck()
    {
        // Waiter pulses its monitor only while a thread sleeps in it (Waiter.PulseIfWaiting): a pulse that missed the
        // sleeper would leave the wait to its next peer check (Waiter.PeerCheckInterval, 1 s).
        var a = _h.NewClient("a");
        var b = _h.NewClient("b");
        var cond = _h.Create("Condition");
        for (var round = 0; round < 5; round++)
        {
            _h.Return(a, cond, "acquire");
            var waited = Task.Run(() => _h.Return(a, cond, "wait", 60.0));
            ServerHarness.WaitUntilBlocked(a);
            _h.Return(b, cond, "acquire");
            var notified = Stopwatch.StartNew();
            _h.Return(b, cond, "notify");
            _h.Return(b, cond, "release");
            Assert.That(waited.Wait(30_000) && (bool)waited.Result!, Is.True);
            Assert.That(notified.ElapsedMilliseconds, Is.LessThan(500), $"round {round}: the notified wait woke only at its peer check");
            _h.Return(a, cond, "release");
        }
    }

    [Test]
    public void Condition_WithALockProxyOfTheServer_UsesThatLock()
    {
        var c = _h.NewClient();
        var lockIdent = _h.Create("Lock");
        var proxy = new PyReduce(new PyGlobal("multiprocessing.managers", "RebuildProxy"), PyTuple.Create(
            new PyGlobal("multiprocessing.managers", "AcquirerProxy"),
            PyReduce.NewObj(new PyGlobal("multiprocessing.managers", "Token"), state: PyTuple.Create("Lock", null, lockIdent)),
            "pickle",
            new PyDict()));
        var cond = _h.Create("Condition", proxy);
        _h.Return(c, cond, "acquire");
        Assert.That((string)_h.Return(c, lockIdent, "__repr__")!, Does.StartWith("<locked _thread.lock"));
        _h.Return(c, cond, "release");
        var foreign = _h.Public("create", "Condition", "not a lock");
        Assert.That(foreign[1], Does.Contain("must be a Lock, RLock or Semaphore proxy"));
    }

    [Test]
    public void Barrier_TripsWithAllParties_TimeoutBreaksIt()
    {
        var b = _h.Create("Barrier", 3L);
        var waits = Enumerable.Range(0, 3).Select(i => Task.Run(() => _h.Return(_h.NewClient($"p{i}"), b, "wait", 60.0))).ToArray();
        Assert.That(Task.WaitAll(waits, 30_000), Is.True);
        Assert.That(waits.Select(t => (long)t.Result!).Order(), Is.EqualTo(new[] { 0L, 1L, 2L }));
        var c = _h.NewClient();
        Assert.That(_h.Error(c, b, "wait", 0.05).Type, Is.EqualTo(new PyGlobal("threading", "BrokenBarrierError")));
        Assert.That(_h.Return(c, b, "__getattribute__", "broken"), Is.EqualTo(true));
        _h.Return(c, b, "reset");
        Assert.That(_h.Return(c, b, "__getattribute__", "n_waiting"), Is.EqualTo(0L));
        Assert.That(_h.Public("create", "Barrier", 2L, new PyGlobal("__main__", "action"))[1], Does.Contain("NotImplementedError"));
    }

    [Test]
    public void Event_WaitReturnsWhenSetByAnotherClient()
    {
        var e = _h.Create("Event");
        var c = _h.NewClient();
        Assert.That(_h.Return(c, e, "wait", 0.05), Is.EqualTo(false));
        var w = _h.NewClient("w");
        var waiter = Task.Run(() => _h.Return(w, e, "wait"));
        ServerHarness.WaitUntilBlocked(w);
        _h.Return(c, e, "set");
        Assert.That(waiter.Wait(30_000) && (bool)waiter.Result!, Is.True);
        Assert.That(_h.Return(c, e, "__str__"), Does.EndWith(": set>"));
    }

    [Test]
    public void Queue_FifoTimeoutsAndFull()
    {
        var c = _h.NewClient();
        var q = _h.Create("Queue", 1L);
        _h.Return(c, q, "put", "a");
        Assert.That(_h.Error(c, q, "put", "b", true, 0.05).Type, Is.EqualTo(new PyGlobal("queue", "Full")));
        Assert.That(_h.Return(c, q, "get"), Is.EqualTo("a"));
        var empty = _h.Error(c, q, "get", true, 0.05);
        Assert.That(empty.Type, Is.EqualTo(new PyGlobal("_queue", "Empty")));
        Assert.That(_h.Error(c, q, "get", true, -1.0).Message, Is.EqualTo("'timeout' must be a non-negative number"));
        _h.Return(c, q, "task_done");
        Assert.That(_h.Error(c, q, "task_done").Message, Is.EqualTo("task_done() called too many times"));
        Assert.That(_h.Call(c, q, "#GETVALUE")[0], Is.EqualTo("#UNSERIALIZABLE"));
    }

    [Test]
    public void Queue_ShutdownImmediate_UnblocksGettersAndJoin()
    {
        var c = _h.NewClient();
        var q = _h.Create("JoinableQueue");
        _h.Return(c, q, "put", 1L);
        var j = _h.NewClient("j");
        var joiner = Task.Run(() => _h.Call(j, q, "join"));
        ServerHarness.WaitUntilBlocked(j);
        _h.Return(c, q, "shutdown", true);
        Assert.That(joiner.Wait(30_000), Is.True);
        Assert.That(_h.Error(c, q, "get").Type, Is.EqualTo(new PyGlobal("queue", "ShutDown")));
        Assert.That(_h.Error(c, q, "put", 2L).Type, Is.EqualTo(new PyGlobal("queue", "ShutDown")));
    }

    [Test]
    public void BlockedGet_WhoseClientIsGone_EndsWithoutTakingTheItem()
    {
        var gone = false;
        var dying = _h.Server.NewContext("dying", () => gone);
        var c = _h.NewClient();
        var q = _h.Create("Queue");
        var blocked = Task.Run(() =>
        {
            try
            {
                _h.Call(dying, q, "get");
                return "returned";
            }
            catch (SessionAbortedException)
            {
                return "aborted";
            }
        });
        ServerHarness.WaitUntilBlocked(dying);
        gone = true;
        _h.Return(c, q, "put", "item");       // wakes the dead client first, which must hand the item on
        Assert.That(blocked.Wait(30_000), Is.True);
        Assert.That(blocked.Result, Is.EqualTo("aborted"));
        Assert.That(_h.Return(c, q, "get", true, 1.0), Is.EqualTo("item"));
    }

    private string CallUntilAborted(SharedCallContext client, string ident, string method)
    {
        try
        {
            _h.Call(client, ident, method);
            return "returned";
        }
        catch (SessionAbortedException)
        {
            return "aborted";
        }
    }

    [Test]
    public void Abort_WakesABlockedCall()
    {
        var c = _h.NewClient();
        var e = _h.Create("Event");
        var blocked = Task.Run(() => Assert.Throws<SessionAbortedException>(() => _h.Call(c, e, "wait")));
        ServerHarness.WaitUntilBlocked(c);
        c.Abort();
        Assert.That(blocked.Wait(30_000), Is.True);
    }
}
