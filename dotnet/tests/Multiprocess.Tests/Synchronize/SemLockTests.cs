using System.Diagnostics;
using Multiprocess.Synchronize;
using SyncBarrier = Multiprocess.Synchronize.Barrier;
using SyncLock = Multiprocess.Synchronize.Lock;
using SyncSemaphore = Multiprocess.Synchronize.Semaphore;

namespace Multiprocess.Tests.Synchronize;

[TestFixture]
public sealed class SemLockTests
{
    [Test]
    public void Lock_Create_PythonStyleNameAndFile()
    {
        using var lk = new SyncLock(track: false);
        Assert.That(lk.Name, Does.Match("^/mp-[a-z0-9_]{8}$"));
        Assert.That((lk.Kind, lk.MaxValue, lk.GetValue()), Is.EqualTo((SemLockKind.Semaphore, 1, 1)));
        Assert.That(File.Exists("/dev/shm/sem." + lk.Name[1..]), Is.True);
        lk.Dispose();
        Assert.That(File.Exists("/dev/shm/sem." + lk.Name[1..]), Is.False, "the creator unlinks on dispose");
    }

    [Test]
    public void Lock_ReleasedTwice_ThrowsPythonsMessage()
    {
        using var lk = new SyncLock(track: false);
        Assert.That(lk.Acquire(), Is.True);
        lk.Release();
        var e = Assert.Throws<SemaphoreFullException>(lk.Release);
        Assert.That(e!.Message, Is.EqualTo("semaphore or lock released too many times"));
    }

    [Test]
    public void Lock_HeldElsewhere_TimesOutAfterTimeout()
    {
        using var lk = new SyncLock(track: false);
        using var other = SyncLock.Rebuild(lk.Name);
        Assert.That(other.Acquire(false), Is.True);
        var clock = Stopwatch.StartNew();
        Assert.That(lk.Acquire(true, TimeSpan.FromMilliseconds(150)), Is.False);
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(140)), "it waited out its timeout");
        Assert.That(lk.Acquire(true, TimeSpan.FromSeconds(-5)), Is.False, "a negative timeout counts as zero");
        Assert.That(lk.Acquire(false), Is.False);
        other.Release();
        Assert.That(lk.Acquire(false), Is.True);
        Assert.That(lk.IsMine, Is.True);
        Assert.That(other.IsMine, Is.False);
    }

    [Test]
    public void RLock_Recursion_CountsPerProcessAndOwnerThread()
    {
        using var rl = new RLock(track: false);
        Assert.That(rl.Acquire() && rl.Acquire() && rl.Acquire(), Is.True);
        Assert.That((rl.Count, rl.GetValue()), Is.EqualTo((3, 0)));
        var fromOtherThread = Task.Run(() =>
        {
            var acquired = rl.Acquire(false);
            var e = Assert.Throws<System.Threading.SynchronizationLockException>(rl.Release);
            return (acquired, e!.Message);
        }).Result;
        Assert.That(fromOtherThread, Is.EqualTo((false, "attempt to release recursive lock not owned by thread")));
        rl.Release();
        rl.Release();
        Assert.That((rl.Count, rl.GetValue()), Is.EqualTo((1, 0)));
        rl.Release();
        Assert.That((rl.Count, rl.GetValue(), rl.IsMine), Is.EqualTo((0, 1, false)));
        Assert.Throws<System.Threading.SynchronizationLockException>(rl.Release);
    }

    [Test]
    public void Semaphores_ValuesAndBounds()
    {
        using var s = new SyncSemaphore(3, track: false);
        using var b = new BoundedSemaphore(2, track: false);
        Assert.That((s.MaxValue, s.GetValue(), b.MaxValue), Is.EqualTo((SemLock.SemValueMax, 3, 2)));
        s.Release();
        Assert.That(s.ToString(), Is.EqualTo("<Semaphore(value=4)>"));
        Assert.Throws<SemaphoreFullException>(b.Release);
        Assert.That(b.Acquire(false) && b.Acquire(false), Is.True);
        Assert.That(b.Acquire(false), Is.False);
        Assert.That(b.ToString(), Is.EqualTo("<BoundedSemaphore(value=0, maxvalue=2)>"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new SyncSemaphore(-1, track: false));
    }

    [Test]
    public void Rebuild_MissingName_ThrowsFileNotFound()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SemLock.Rebuild(SemLockKind.Semaphore, 1, "/mp-nosuchxx"));
        Assert.That(e!.Message, Is.EqualTo("[Errno 2] No such file or directory: '/mp-nosuchxx'"));
    }

    [Test]
    public void Condition_WaitAndNotify_AcrossThreads()
    {
        using var cond = new Condition();
        var ready = false;
        var waiter = Task.Run(() =>
        {
            using (cond.EnterScope())
            {
                return cond.WaitFor(() => Volatile.Read(ref ready), TimeSpan.FromSeconds(10));
            }
        });
        Assert.That(SpinWait.SpinUntil(() => cond.SleepingCount.GetValue() == 1, TimeSpan.FromSeconds(10)), Is.True, "the waiter went to sleep");
        using (cond.EnterScope())
        {
            Volatile.Write(ref ready, true);
            cond.NotifyAll();
        }

        Assert.That(waiter.Wait(TimeSpan.FromSeconds(10)) && waiter.Result, Is.True);
        using (cond.EnterScope())
        {
            Assert.That(cond.Wait(TimeSpan.FromMilliseconds(50)), Is.False, "nobody notifies: timeout");
        }

        Assert.Throws<System.Threading.SynchronizationLockException>(() => cond.Wait());
        Assert.Throws<System.Threading.SynchronizationLockException>(() => cond.Notify());
    }

    [Test]
    public void Event_SetClearWait()
    {
        using var ev = new Event();
        Assert.That(ev.IsSet, Is.False);
        Assert.That(ev.Wait(TimeSpan.FromMilliseconds(30)), Is.False);
        var waiter = Task.Run(() => ev.Wait(TimeSpan.FromSeconds(10)));
        Assert.That(SpinWait.SpinUntil(() => ev.Condition.SleepingCount.GetValue() == 1, TimeSpan.FromSeconds(10)), Is.True, "the waiter went to sleep");
        ev.Set();
        Assert.That(waiter.Wait(TimeSpan.FromSeconds(10)) && waiter.Result, Is.True);
        Assert.That(ev.IsSet, Is.True);
        ev.Clear();
        Assert.That(ev.ToString(), Is.EqualTo("<Event unset>"));
    }

    [Test]
    public void Barrier_ThreeThreads_TwoRoundsThenTimeoutBreaksIt()
    {
        var actions = 0;
        using var barrier = new SyncBarrier(3, () => actions++);
        for (var round = 0; round < 2; round++)
        {
            var parties = Enumerable.Range(0, 3).Select(_ => Task.Run(() => barrier.Wait(TimeSpan.FromSeconds(10)))).ToArray();
            Assert.That(Task.WaitAll(parties, TimeSpan.FromSeconds(10)), Is.True);
            Assert.That(parties.Select(p => p.Result).Order(), Is.EqualTo(new[] { 0, 1, 2 }));
        }

        Assert.That(actions, Is.EqualTo(2));
        Assert.Throws<BrokenBarrierException>(() => barrier.Wait(TimeSpan.FromMilliseconds(50)));
        Assert.That(barrier.Broken, Is.True);
        barrier.Reset();
        Assert.That((barrier.Broken, barrier.NWaiting), Is.EqualTo((false, 0)));
    }
}
