using System.Buffers.Binary;
using System.Diagnostics;
using Multiprocess.Shm;
using Multiprocess.Synchronize;
using Multiprocess.Tests.Shm;
using Multiprocess.TestUtilities;
using SyncLock = Multiprocess.Synchronize.Lock;
using SyncSemaphore = Multiprocess.Synchronize.Semaphore;

namespace Multiprocess.Tests.Synchronize;

/// <summary>Locks crossing between C# and every CPython by name, both ways, and a shared counter under a shared Lock.</summary>
[TestFixture]
public sealed class SemLockInteropTests
{
    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Lock_CreatedInCSharp_PythonRebuildsItByName(string version)
    {
        using var py = Start(version);
        using var lk = new SyncLock(track: false);
        py.Exec($"lk = semlock(synchronize.Lock, 1, 1, '{lk.Name}')");
        Assert.That(lk.Acquire(false), Is.True);
        Assert.That(py.Eval("(lk.acquire(False), lk.acquire(True, 0.05), lk._semlock._get_value())"), Is.EqualTo("(False, False, 0)"));
        lk.Release();
        Assert.That(py.Eval("lk.acquire(True, 5)"), Is.EqualTo("True"));
        var clock = Stopwatch.StartNew();
        Assert.That(lk.Acquire(true, TimeSpan.FromMilliseconds(100)), Is.False);
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90)));
        py.Exec("lk.release()");
        Assert.That(py.Eval("repr(lk)"), Is.EqualTo("'<Lock(owner=None)>'"));
        Assert.That(py.Eval("lk._semlock.release() if False else None"), Is.EqualTo("None"));
        Assert.That(Throws(py, "lk.release()"), Is.EqualTo("ValueError: semaphore or lock released too many times"));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Locks_CreatedInPython_CSharpRebuildsThemByName(string version)
    {
        using var py = Start(version);
        py.Exec("lk = ctx.Lock(); rl = ctx.RLock(); se = ctx.Semaphore(2); bs = ctx.BoundedSemaphore(3)");
        var state = py.Eval("[(o._semlock.kind, o._semlock.maxvalue, o._semlock.name) for o in (lk, rl, se, bs)]");
        var names = py.Eval("[o._semlock.name for o in (lk, rl, se, bs)]").Trim('[', ']').Split(", ").Select(n => n.Trim('\'')).ToArray();
        Assert.That(state, Is.EqualTo(
            $"[(1, 1, '{names[0]}'), (0, 1, '{names[1]}'), (1, 2147483647, '{names[2]}'), (1, 3, '{names[3]}')]"));

        using var lk = SyncLock.Rebuild(names[0]);
        using var rl = RLock.Rebuild(names[1]);
        using var se = SyncSemaphore.Rebuild(names[2]);
        using var bs = BoundedSemaphore.Rebuild(names[3], 3);

        // The RLock: Python holds it twice; one release leaves it held; C# gets it only after the second.
        py.Exec("rl.acquire(); rl.acquire(); rl.release()");
        Assert.That(rl.Acquire(true, TimeSpan.FromMilliseconds(50)), Is.False);
        py.Exec("rl.release()");
        Assert.That(rl.Acquire(true, TimeSpan.FromSeconds(5)) && rl.Acquire(false), Is.True);
        Assert.That(py.Eval("(rl.acquire(False), rl._semlock._get_value())"), Is.EqualTo("(False, 0)"));
        rl.Release();
        Assert.That(py.Eval("rl.acquire(False)"), Is.EqualTo("False"), "still held once by C#");
        rl.Release();
        Assert.That(py.Eval("rl.acquire(False)"), Is.EqualTo("True"));
        Assert.Throws<System.Threading.SynchronizationLockException>(rl.Release);

        // The semaphores: values are shared; the bound is Python's.
        Assert.That(se.Acquire(false) && se.Acquire(false) && !se.Acquire(false), Is.True);
        Assert.That(py.Eval("se.get_value()"), Is.EqualTo("0"));
        py.Exec("se.release()");
        Assert.That(se.GetValue(), Is.EqualTo(1));
        Assert.Throws<SemaphoreFullException>(bs.Release);
        Assert.That(bs.Acquire(false), Is.True);
        Assert.That(py.Eval("repr(bs)"), Is.EqualTo("'<BoundedSemaphore(value=2, maxvalue=3)>'"));

        // The Lock: C# takes it, Python's timed acquire fails; Python's release of a C#-held Lock is allowed.
        Assert.That(lk.Acquire(), Is.True);
        Assert.That(py.Eval("lk.acquire(True, 0.05)"), Is.EqualTo("False"));
        py.Exec("lk.release()");
        Assert.That(lk.GetValue(), Is.EqualTo(1));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Counter_TenThousandAddsEachSideUnderSharedLock_NoLostUpdate(string version)
    {
        const int N = 10_000;
        using var py = Start(version);
        using var shm = SharedMemory.Create(16, track: false);
        using var lk = new SyncLock(track: false);
        try
        {
            py.Exec($"s = attach('{shm.Name}'); lk = semlock(synchronize.Lock, 1, 1, '{lk.Name}')");
            // Python flags that its loop started (byte 8), so the two loops overlap.
            py.Begin($$"""
                s.buf[8] = 1
                for _ in range({{N}}):
                    with lk:
                        v, = struct.unpack_from('q', s.buf, 0)
                        struct.pack_into('q', s.buf, 0, v + 1)
                """);
            var clock = Stopwatch.StartNew();
            while (Volatile.Read(ref shm.Span[8]) == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Yield();
            }

            var span = shm.GetMemory(0, 8);
            for (var i = 0; i < N; i++)
            {
                using (lk.EnterScope())
                {
                    var v = BinaryPrimitives.ReadInt64LittleEndian(span.Span);
                    Thread.SpinWait(20); // widen the read-modify-write window
                    BinaryPrimitives.WriteInt64LittleEndian(span.Span, v + 1);
                }
            }

            py.Wait(TimeSpan.FromSeconds(20));
            Assert.That(BinaryPrimitives.ReadInt64LittleEndian(shm.Span), Is.EqualTo(2 * N));
            Assert.That(py.Eval("struct.unpack_from('q', s.buf, 0)[0]"), Is.EqualTo("20000"));
            py.Exec("s.close()");
        }
        finally
        {
            shm.Unlink();
        }
    }

    internal static PythonRepl Start(string version)
    {
        var py = PythonRepl.Start(version);
        py.Exec(PythonPrelude.Code);
        return py;
    }

    internal static string Throws(PythonRepl py, string code)
    {
        var e = Assert.Throws<PythonException>(() => py.Exec(code));
        return e!.Error;
    }
}
