using System.Buffers.Binary;
using Multiprocess.Shm;
using Multiprocess.Synchronize;
using Multiprocess.TestUtilities;
using SyncBarrier = Multiprocess.Synchronize.Barrier;

namespace Multiprocess.Tests.Synchronize;

/// <summary>Condition, Event and Barrier rendezvous between C# and every CPython, each side running its own code of
/// CPython's algorithm over the same semaphores.</summary>
[TestFixture]
public sealed class ConditionInteropTests
{
    private const string RebuildCondition = """
        def rebuild_condition(lock_cls, lock_kind, names):
            c = synchronize.Condition.__new__(synchronize.Condition)
            c.__setstate__((semlock(lock_cls, lock_kind, 1, names[0]),) + tuple(
                semlock(synchronize.Semaphore, 1, 2147483647, n) for n in names[1:]))
            return c
        """;

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void Condition_BothWays_WaiterWakesOnNotify(string version)
    {
        using var py = SemLockInteropTests.Start(version);
        py.Exec(RebuildCondition);
        using var shm = SharedMemory.Create(8, track: false);
        using var cond = new Condition();
        py.Exec($"s = attach('{shm.Name}'); c = rebuild_condition(synchronize.RLock, 0, {Names(cond)})");
        shm.Unlink();

        // Python waits, C# notifies.
        py.Begin("with c:\n    r = c.wait_for(lambda: s.buf[0] == 1, 10)");
        WaitUntil(() => cond.SleepingCount.GetValue() - cond.WokenCount.GetValue() == 1);
        using (cond.EnterScope())
        {
            shm.Span[0] = 1;
            cond.NotifyAll();
        }

        py.Wait();
        Assert.That(py.Eval("r"), Is.EqualTo("True"));

        // C# waits, Python notifies (from a thread, after a pause).
        py.Exec("def later():\n    time.sleep(0.1)\n    with c:\n        s.buf[1] = 1\n        c.notify()\nthreading.Thread(target=later).start()");
        bool woke;
        using (cond.EnterScope())
        {
            woke = cond.WaitFor(() => shm.Span[1] == 1, TimeSpan.FromSeconds(10));
        }

        Assert.That(woke, Is.True);

        // Timeouts: nobody notifies.
        using (cond.EnterScope())
        {
            Assert.That(cond.Wait(TimeSpan.FromMilliseconds(50)), Is.False);
        }

        Assert.That(py.Eval("c.acquire() and (c.wait(0.05), c.release())[0]"), Is.EqualTo("False"));
        py.Exec("s.close()");
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void Event_BothWays_SetWakesTheOtherSide(string version)
    {
        using var py = SemLockInteropTests.Start(version);
        py.Exec(RebuildCondition);
        using var ev = new Event();
        var c = ev.Condition;
        py.Exec($$"""
            ev = synchronize.Event.__new__(synchronize.Event)
            ev.__dict__.update({'_cond': rebuild_condition(synchronize.Lock, 1, {{Names(c)}}),
                                '_flag': semlock(synchronize.Semaphore, 1, 2147483647, '{{ev.Flag.Name}}')})
            """);
        Assert.That(py.Eval("ev.is_set()"), Is.EqualTo("False"));
        py.Begin("r = ev.wait(10)");
        WaitUntil(() => c.SleepingCount.GetValue() - c.WokenCount.GetValue() == 1);
        ev.Set();
        py.Wait();
        Assert.That(py.Eval("(r, ev.is_set())"), Is.EqualTo("(True, True)"));

        py.Exec("ev.clear()");
        Assert.That(ev.IsSet, Is.False);
        py.Exec("threading.Timer(0.1, ev.set).start()");
        Assert.That(ev.Wait(TimeSpan.FromSeconds(10)), Is.True);
        ev.Clear();
        Assert.That(py.Eval("ev.wait(0.05)"), Is.EqualTo("False"));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void Barrier_CSharpAndPython_TripTogetherThenBreakOnTimeout(string version)
    {
        using var py = SemLockInteropTests.Start(version);
        py.Exec(RebuildCondition);

        // The state lives in a named segment here (CPython's own Barrier keeps it in an fd-shared arena).
        using var shm = SharedMemory.Create(8, track: false);
        using var cond = new Condition();
        using var barrier = new SyncBarrier(2, cond, shm.Memory);
        py.Exec($$"""
            s = attach('{{shm.Name}}')
            class Wrapper:
                def create_memoryview(self):
                    return s.buf[:8]
            b = synchronize.Barrier.__new__(synchronize.Barrier)
            b.__setstate__((2, None, None, rebuild_condition(synchronize.RLock, 0, {{Names(cond)}}), Wrapper()))
            """);
        shm.Unlink();
        for (var round = 0; round < 2; round++)
        {
            py.Begin("i = b.wait(10)");
            var mine = barrier.Wait(TimeSpan.FromSeconds(10));
            py.Wait();
            var theirs = int.Parse(py.Eval("i"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(new[] { mine, theirs }.Order(), Is.EqualTo(new[] { 0, 1 }), $"round {round}");
        }

        Assert.That(py.Eval("(b.n_waiting, b.broken)"), Is.EqualTo("(0, False)"));
        Assert.Throws<BrokenBarrierException>(() => barrier.Wait(TimeSpan.FromMilliseconds(50)));
        Assert.That(py.Eval("b.broken"), Is.EqualTo("True"));
        Assert.That(BinaryPrimitives.ReadInt32LittleEndian(shm.Span), Is.EqualTo(-2), "state word: broken");
        py.Exec("b.reset()");
        Assert.That(barrier.Broken, Is.False);
        py.Exec("del b, Wrapper; s.close()");
    }

    private static string Names(Condition c) =>
        $"['{c.Lock.Name}', '{c.SleepingCount.Name}', '{c.WokenCount.Name}', '{c.WaitSemaphore.Name}']";

    private static void WaitUntil(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail("timed out waiting for the Python side");
            }

            Thread.Sleep(2);
        }
    }
}
