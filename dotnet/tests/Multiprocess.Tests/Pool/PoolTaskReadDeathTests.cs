using Multiprocess.Pooling;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Processes;

namespace Multiprocess.Tests.Pooling;

/// <summary>
/// A Python worker SIGKILLed while it reads a task frame from the task pipe, inside the task lock: the rest of the
/// frame stays in the pipe. With CPython's bare frames the next worker takes those bytes for a header (a worker
/// exiting on EOFError, or blocking for ever inside the lock reading a garbage length); the pool's frames carry a
/// marker (Queues/MarkedPipeFrames.cs), so the next worker skips to the next frame: the torn task fails as lost, every
/// later task runs in the dead worker's replacement, and the pool goes on (docs/pool-worker-death.md). PoolKillStressTests hit this at random.
/// </summary>
[TestFixture]
public sealed class PoolTaskReadDeathTests
{
    /// <summary>A guard against a hang, far above what the recovery takes.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>Bytes of the torn frame the dying worker read: inside the 8-byte marker, the marker and CPython's
    /// 4-byte header but none of the payload, part of the payload.</summary>
    [TestCase(5)]
    [TestCase(12)]
    [TestCase(40)]
    public void WorkerKilledMidTaskRead_LaterTasksRun_TornTaskFailsAsLost(int bytesRead)
    {
        var ready = Path.Combine(Path.GetTempPath(), $"mp-task-read-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            // One worker: an idle second one would wait for a task holding the task lock, which the reader needs.
            using var pool = new Pool(new PoolOptions { Processes = 1, Process = PythonTargets.Options("3.12") });
            Assert.That(pool.Map(PythonTargets.Target("square"), [1L, 2L, 3L], chunksize: 1), Has.Count.EqualTo(3), "the workers are up");
            var reader = pool.ApplyAsync(PythonTargets.Target("die_mid_task_read"), [ready, (long)bytesRead]);
            Assert.That(SpinWait.SpinUntil(() => File.Exists(ready + ".locked"), HangGuard), Is.True, "a worker holds the task lock");
            var torn = pool.ApplyAsync(PythonTargets.Target("square"), [100L]);
            Assert.That(SpinWait.SpinUntil(() => File.Exists(ready), HangGuard), Is.True, "the worker read the start of the next frame");
            var later = Enumerable.Range(0, 10).Select(i => pool.ApplyAsync(PythonTargets.Target("square"), [(long)i])).ToList();

            var holder = int.Parse(File.ReadAllText(ready), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(LibcKill(holder, 9), Is.Zero, "SIGKILL the worker inside its task read");

            Assert.That(Task.WhenAll(later).Wait(HangGuard), Is.True, "the tasks written after the torn frame ran");
            Assert.That(later.Select(t => t.Result), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (object?)(long)(i * i))));
            Assert.That(async () => await reader, Throws.TypeOf<ProcessException>().With.Message.Contains($"worker process {holder} ").And.Message.Contains("exited with code -9 while running task 0"));
            Assert.That(torn.ContinueWith(_ => { }, TaskScheduler.Default).Wait(HangGuard), Is.True, "the torn task's call ended");
            Assert.That(async () => await torn, Throws.TypeOf<ProcessException>().With.Message.Contains("a task of mp_test_targets:square was lost"));
            Assert.That(pool.Map(PythonTargets.Target("square"), [4L, 5L, 6L]), Is.EqualTo(new object?[] { 16L, 25L, 36L }), "the pool goes on");
        }
        finally
        {
            File.Delete(ready);
            File.Delete(ready + ".locked");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int LibcKill(int pid, int signal);
}
