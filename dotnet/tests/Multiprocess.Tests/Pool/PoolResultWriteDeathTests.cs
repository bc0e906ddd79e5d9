using Multiprocess.Pooling;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Processes;

namespace Multiprocess.Tests.Pooling;

/// <summary>
/// A Python worker SIGKILLed while it writes a result: it holds the result queue's write lock (a POSIX semaphore)
/// and may have written part of a frame. CPython's pool hangs there for ever (the lock stays taken, its result thread
/// waits for the rest of the frame); this pool must put the result pipe back in step, fail that worker's task with an
/// error naming the worker, its signal and the task, deliver every other result, and go on serving
/// (docs/pool-worker-death.md).
/// </summary>
[TestFixture]
public sealed class PoolResultWriteDeathTests
{
    /// <summary>A guard against a hang, far above what the recovery takes.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static readonly IReadOnlyList<object?> Items = Enumerable.Range(0, 10).Select(i => (object?)(long)i).ToList();

    /// <summary>The torn write: a header announcing 1,000 bytes and 10 of them, then SIGKILL with the lock held.</summary>
    [Test]
    public void WorkerKilledMidResultWrite_ItsTaskFailsNamingIt_PoolGoesOn()
    {
        var (dying, pending, holder, pool) = KillInsideResultWrite("die_mid_result_write");
        using (pool)
        {
            var e = dying.Exception?.InnerException;
            Assert.That(e, Is.InstanceOf<ProcessException>(), $"the dying worker's call: {dying.Status}, {e}");
            Assert.That(e!.Message, Does.Contain($"worker process {holder} ").And.Contain("exited with code -9 (SIGKILL) while writing the result of task 0 of job ")
                .And.Contain("(mp_test_targets:die_mid_result_write)").And.Contain("the 14 bytes of it that reached the result queue were discarded"),
                "the error names the worker, its signal, the task and what was lost");
            Assert.That(pending.Result, Is.EqualTo(7L), "a result written after the torn frame arrives whole");
            Assert.That(pool.Map(PythonTargets.Target("square"), Items), Is.EqualTo(Items.Select(x => (object?)((long)x! * (long)x!))), "the pool goes on");
        }
    }

    /// <summary>Killed after writing its whole result, before releasing the lock: nothing is torn, the result counts.</summary>
    [Test]
    public void WorkerKilledAfterWholeResultWrite_ItsResultArrives_PoolGoesOn()
    {
        var (dying, pending, _, pool) = KillInsideResultWrite("die_after_whole_result");
        using (pool)
        {
            Assert.That(dying.Result, Is.EqualTo("written before the kill"), "the frame written before the kill is delivered");
            Assert.That(pending.Result, Is.EqualTo(7L));
            Assert.That(pool.Map(PythonTargets.Target("square"), Items), Is.EqualTo(Items.Select(x => (object?)((long)x! * (long)x!))), "the pool goes on");
        }
    }

    /// <summary>Runs <paramref name="target"/> (it takes the result lock, writes, says so in a file and waits), submits
    /// a call that will have to wait for the lock, SIGKILLs the writer and waits until both calls ended.</summary>
    private static (Task<object?> Dying, Task<object?> Pending, int Holder, Pool Pool) KillInsideResultWrite(string target)
    {
        var ready = Path.Combine(Path.GetTempPath(), $"mp-result-write-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var pool = new Pool(new PoolOptions { Processes = 2, Process = PythonTargets.Options("3.12") });
        try
        {
            Assert.That(pool.Map(PythonTargets.Target("square"), [1L, 2L, 3L], chunksize: 1), Has.Count.EqualTo(3), "the workers are up");
            var dying = pool.ApplyAsync(PythonTargets.Target(target), [ready]);
            Assert.That(SpinWait.SpinUntil(() => File.Exists(ready), HangGuard), Is.True, "the worker is inside its result write");
            var pending = pool.ApplyAsync(PythonTargets.Target("slow_identity"), [7L, 0.01]);
            Thread.Sleep(500);   // the other worker has its result by now and waits for the lock to write it

            var holder = int.Parse(File.ReadAllText(ready), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(LibcKill(holder, 9), Is.Zero, "SIGKILL the worker that holds the lock");
            Assert.That(Task.WhenAll(dying, pending).ContinueWith(_ => { }, TaskScheduler.Default).Wait(HangGuard), Is.True, "the calls ended (CPython's pool hangs here)");
            return (dying, pending, holder, pool);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
        finally
        {
            File.Delete(ready);
        }
    }

    /// <summary>
    /// terminate() kills a worker that holds the result queue's write lock, as one does between writing its result and
    /// releasing the lock (the caller got the result and terminated at once: CPython's
    /// <c>_TestPool.test_wrapped_exception</c>, <c>with Pool(1) as p: p.apply(f)</c>, then <c>p.join()</c>). The result
    /// thread must not wait for a sentinel that lock keeps out: terminate returns once the pool's threads have ended,
    /// as pool.py's <c>_terminate_pool</c> joins them, so a join after it has nothing left to wait for.
    /// </summary>
    [Test]
    public void WorkerTerminatedHoldingResultLock_TerminateReturnsOnceThreadsEnded()
    {
        var ready = Path.Combine(Path.GetTempPath(), $"mp-result-lock-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var pool = new Pool(new PoolOptions { Processes = 1, Process = PythonTargets.Options("3.12") });
        try
        {
            var holding = pool.ApplyAsync(PythonTargets.Target("hold_result_lock"), [ready]);
            Assert.That(SpinWait.SpinUntil(() => File.Exists(ready), HangGuard), Is.True, "the worker holds the result lock");

            Assert.That(Task.Run(pool.Terminate).Wait(HangGuard), Is.True, "terminate returned");
            Assert.That(pool.Join(TimeSpan.Zero), Is.True, "the pool's threads had ended when terminate returned (the result thread waited for a sentinel the held lock kept out)");
            Assert.That(async () => await holding, Throws.TypeOf<ProcessException>().With.Message.Contains("terminated"), "the call in the killed worker failed");
            Assert.That(Task.Run(pool.Dispose).Wait(HangGuard), Is.True, "the pool disposes");
        }
        finally
        {
            File.Delete(ready);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int LibcKill(int pid, int signal);
}
