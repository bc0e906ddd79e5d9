using Multiprocess.Pooling;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Processes;

namespace Multiprocess.Tests.Pooling;

/// <summary>
/// A Python worker SIGKILLed while it writes a result: it holds the result queue's write lock (a POSIX semaphore)
/// and has written part of a frame. CPython's pool hangs there for ever (the lock stays taken, its result thread
/// waits for the rest of the frame); this pool must fail every pending call with an error that says what happened,
/// and stay disposable (docs/pool-worker-death.md).
/// </summary>
[TestFixture]
public sealed class PoolResultWriteDeathTests
{
    /// <summary>A guard against a hang, far above what the failure takes.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Test]
    public void WorkerKilledMidResultWrite_PendingCallsFailNamingIt_PoolDisposes()
    {
        var ready = Path.Combine(Path.GetTempPath(), $"mp-result-write-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var pool = new Pool(new PoolOptions { Processes = 2, Process = PythonTargets.Options("3.12") });
            Assert.That(pool.Map(PythonTargets.Target("square"), [1L, 2L, 3L], chunksize: 1), Has.Count.EqualTo(3), "the workers are up");
            var dying = pool.ApplyAsync(PythonTargets.Target("die_mid_result_write"), [ready]);
            Assert.That(SpinWait.SpinUntil(() => File.Exists(ready), HangGuard), Is.True, "the worker is inside its result write");
            var pending = pool.ApplyAsync(PythonTargets.Target("slow_identity"), [7L, 1.0]);

            var holder = int.Parse(File.ReadAllText(ready), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(LibcKill(holder, 9), Is.Zero, "SIGKILL the worker that holds the lock");

            Assert.That(Task.WhenAll(dying, pending).ContinueWith(_ => { }, TaskScheduler.Default).Wait(HangGuard), Is.True, "the calls ended (CPython's pool hangs here)");
            foreach (var (task, what) in new[] { (dying, "the dying worker's call"), (pending, "a call pending alongside") })
            {
                var e = task.Exception?.InnerException;
                Assert.That(e, Is.InstanceOf<ProcessException>(), $"{what}: {task.Status}, {e}");
                Assert.That(e!.Message, Does.Contain($"worker process {holder}").And.Contain("while writing a result"), $"{what}: the error names the worker and what it died doing");
            }

            var dispose = Task.Run(pool.Dispose);
            Assert.That(dispose.Wait(HangGuard), Is.True, "the pool disposes");
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
