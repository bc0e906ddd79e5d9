using Multiprocess.Pickle;
using Multiprocess.Processes;
using Multiprocess.Synchronize;
using Multiprocess.TestUtilities;
using Queue = Multiprocess.Queues.Queue;
using SyncLock = Multiprocess.Synchronize.Lock;
using SyncSemaphore = Multiprocess.Synchronize.Semaphore;

namespace Multiprocess.Tests.Processes;

/// <summary>Locks, a semaphore, an event, a condition and a queue made in C# and handed to a CPython 3.14 child (the
/// peer root) by each start method a C# parent has: spawn (a new interpreter, the default) and forkserver (forked by
/// CPython's forkserver, which 3.14 makes Linux's default). Both sides block on each other, so each object is proven
/// shared, not copied. C# never forks (the engine is loaded here): fork is a Python parent's method (the shim's
/// server mode 'process', python/tests/test_fork_mode.py).</summary>
[TestFixture]
public sealed class StartMethods314Tests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [TestCase("spawn")]
    [TestCase("forkserver")]
    public void SyncObjectsAndQueue_HandedToA314Child_AreShared(string method)
    {
        using var lk = new SyncLock();
        using var rl = new RLock();
        using var sem = new SyncSemaphore(0);
        using var ev = new Event();
        using var cond = new Condition();
        using var q = new Queue();
        Assert.That(lk.Acquire() && rl.Acquire() && rl.Acquire(), Is.True);
        var options = PythonTargets.Options(PythonInterpreters.PeerRootVersion) with { UseForkServer = method == "forkserver" };
        using var child = new PythonProcess(PythonTargets.Target("hand_off"), [lk, rl, sem, ev, cond, q], options: options) { Daemon = true };
        child.Start();

        Assert.That(PyRepr.Repr(q.Get(timeout: Wait)), Is.EqualTo("('held by the parent', True, True)"));
        Assert.That(sem.Acquire(true, Wait), Is.True, "the child released the semaphore");
        lk.Release();
        rl.Release();
        rl.Release();
        Assert.That(cond.Acquire(true, Wait), Is.True);
        ev.Set();
        Assert.That(PyRepr.Repr(q.Get(timeout: Wait)), Is.EqualTo("('event', True)"));
        Assert.That(cond.Wait(Wait), Is.True, "the child's notify_all wakes this wait");
        var taken = (PyTuple)q.Get(timeout: Wait)!;
        cond.Release();
        Assert.Multiple(() =>
        {
            Assert.That(PyRepr.Repr(taken[0]) + " " + PyRepr.Repr(taken[1]), Is.EqualTo("'taken' True"));
            Assert.That(taken[2], Is.EqualTo((long)child.Pid!), "the child C# started (or the forkserver forked) is the one that reports");
            Assert.That(child.Join(Wait), Is.True);
            Assert.That(child.ExitCode, Is.EqualTo(0));
            Assert.That(lk.Acquire(false) && rl.Acquire(false), Is.True, "the child let go of both");
        });
        lk.Release();
        rl.Release();
    }
}
