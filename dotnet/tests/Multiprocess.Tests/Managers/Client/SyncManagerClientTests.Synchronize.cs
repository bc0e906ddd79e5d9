using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public void Lock_HeldByOtherThread_AcquireTimesOutThenSucceeds() => AssertNoLeak(() =>
    {
        using var l = _manager.Lock();
        Assert.That(l.Acquire(), Is.True);
        var other = Task.Run(() => (l.Acquire(timeout: TimeSpan.FromMilliseconds(50)), l.Acquire(blocking: false)));
        Assert.That(other.Result, Is.EqualTo((false, false)));
        l.Release();
        Assert.That(Task.Run(() => { var ok = l.Acquire(timeout: TimeSpan.FromSeconds(5)); l.Release(); return ok; }).Result, Is.True);
        using (l.Enter())
        {
            Assert.That(Task.Run(() => l.Acquire(blocking: false)).Result, Is.False);
        }

        Assert.That(l.Acquire(blocking: false), Is.True);
        l.Release();
        Assert.That(() => l.Acquire(blocking: false, timeout: TimeSpan.FromSeconds(1)), Throws.ArgumentException, "ValueError: can't specify a timeout for a non-blocking call");
    });

    [Test]
    public void RLock_Recursive_ReleasedOnlyByOwnerThread()
    {
        using var r = _manager.RLock();
        Assert.That(r.Acquire(), Is.True);
        Assert.That(r.Acquire(), Is.True);
        var e = Assert.Throws<AggregateException>(() => Task.Run(r.Release).Wait());
        Assert.That(e!.InnerException, Is.InstanceOf<InvalidOperationException>(), "RuntimeError: cannot release un-acquired lock");
        r.Release();
        r.Release();
        Assert.That(() => r.Release(), Throws.InvalidOperationException);
    }

    [Test]
    public void Semaphore_CountsAndBoundedSemaphoreRejectsOverRelease()
    {
        using var s = _manager.Semaphore(2);
        Assert.That(s.Acquire(), Is.True);
        Assert.That(s.Acquire(), Is.True);
        Assert.That(s.Acquire(timeout: TimeSpan.FromMilliseconds(30)), Is.False);
        s.Release();
        s.Release();
        s.Release(); // a plain Semaphore may go above its initial value
        using var b = _manager.BoundedSemaphore(1);
        using (b.Enter())
        {
            Assert.That(b.Acquire(blocking: false), Is.False);
        }

        var e = Assert.Throws<ArgumentException>(b.Release);
        Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("ValueError"));
    }

    [Test]
    public async Task RLock_EnterAsync_PinsOneConnectionForTheHold()
    {
        using var r = _manager.RLock();
        await using (var scope = await r.EnterAsync())
        {
            Assert.That(scope.Lock, Is.SameAs(r));
            Assert.That(r.Acquire(blocking: false), Is.False, "held by the scope's connection, not this thread's");
        }

        Assert.That(r.Acquire(blocking: false), Is.True);
        r.Release();
        Assert.That(await r.AcquireAsync(), Is.True);
    }

    [Test]
    public void Condition_NotifyWakesWaiterAndWaitTimesOut()
    {
        using var c = _manager.Condition();
        using (c.Enter())
        {
            Assert.That(c.Wait(TimeSpan.FromMilliseconds(30)), Is.False);
        }

        using var ready = _manager.Event();
        var waiter = Task.Run(() =>
        {
            using var scope = c.Enter();
            ready.Set();
            return scope.Wait(TimeSpan.FromSeconds(10));
        });
        Assert.That(ready.Wait(TimeSpan.FromSeconds(10)), Is.True);
        using (var scope = c.Enter())
        {
            scope.Notify();
        }

        Assert.That(waiter.Result, Is.True);
        Assert.That(() => c.Notify(), Throws.InvalidOperationException, "RuntimeError: cannot notify on un-acquired lock");
        Assert.That(() => c.Wait(TimeSpan.Zero), Throws.InvalidOperationException);
    }

    [Test]
    public void Condition_WaitForAndNotifyAll_PredicateEvaluatedByClient()
    {
        using var lockProxy = _manager.Lock();
        using var c = _manager.Condition(lockProxy);
        using var flag = _manager.Value("i", 0L);
        var waiters = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            c.Acquire();
            try
            {
                return c.WaitFor(() => (long)flag.Value! == 1L, TimeSpan.FromSeconds(10));
            }
            finally
            {
                c.Release();
            }
        })).ToArray();
        Thread.Sleep(100);
        c.Acquire();
        flag.Value = 1L;
        c.NotifyAll();
        c.Release();
        Assert.That(Task.WaitAll(waiters, TimeSpan.FromSeconds(15)), Is.True);
        Assert.That(waiters.Select(w => w.Result), Is.All.True);
        c.Acquire();
        Assert.That(c.WaitFor(() => false, TimeSpan.FromMilliseconds(30)), Is.False);
        c.Release();
    }

    [Test]
    public async Task Condition_AsyncScope_WaitAndNotifyOnPinnedConnection()
    {
        using var c = _manager.Condition();
        var waiting = new TaskCompletionSource();
        var waiter = Task.Run(async () =>
        {
            await using var scope = await c.EnterAsync();
            waiting.SetResult();
            return await scope.WaitAsync(TimeSpan.FromSeconds(10));
        });
        await waiting.Task;
        await using (var scope = await c.EnterAsync())
        {
            await scope.NotifyAllAsync();
        }

        Assert.That(await waiter, Is.True);
    }

    [Test]
    public async Task Event_SetClearWait()
    {
        using var e = _manager.Event();
        Assert.That(e.IsSet(), Is.False);
        Assert.That(e.Wait(TimeSpan.FromMilliseconds(20)), Is.False);
        var waiter = e.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(30);
        await e.SetAsync();
        Assert.That(await waiter, Is.True);
        Assert.That(e.IsSet(), Is.True);
        e.Clear();
        Assert.That(e.IsSet(), Is.False);
        e.Set();
        Assert.That(e.Wait(), Is.True);
    }

    [Test]
    public void Barrier_TwoParties_AbortAndTimeoutBreakIt()
    {
        using var b = _manager.Barrier(2);
        Assert.That(b.Parties, Is.EqualTo(2));
        var other = Task.Run(() => b.Wait(TimeSpan.FromSeconds(10)));
        var mine = b.Wait(TimeSpan.FromSeconds(10));
        Assert.That(new[] { mine, other.Result }, Is.EquivalentTo(new long[] { 0, 1 }));
        Assert.That(b.NWaiting, Is.Zero);
        Assert.That(b.Broken, Is.False);

        var e = Assert.Throws<PyRaisedException>(() => b.Wait(TimeSpan.FromMilliseconds(30)));
        Assert.That(e!.Value.TypeName, Is.EqualTo("BrokenBarrierError"));
        Assert.That(b.Broken, Is.True);
        b.Reset();
        Assert.That(b.Broken, Is.False);
        b.Abort();
        Assert.That(b.Broken, Is.True);
    }
}
