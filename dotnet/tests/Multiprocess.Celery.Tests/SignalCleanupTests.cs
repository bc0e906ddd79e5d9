using Multiprocess.Celery.Tests.Support;
using Multiprocess.TestUtilities;

namespace Multiprocess.Celery.Tests;

/// <summary>
/// A celery benchmark run stopped by SIGTERM or SIGINT (a CI timeout, Ctrl-C) stops what it started: its
/// redis-server, the C# worker and Celery's prefork worker with its pool children (Support/ChildProcess.cs's signal
/// handler). The run is started as a real <c>multiprocess-bench</c>, signalled once all of them run, and every
/// process of its tree, as seen just before the signal, must be gone (by pid and start time) when it has exited.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SignalCleanupTests
{
    [TestCase(15, "SIGTERM")]
    [TestCase(2, "SIGINT")]
    public void CeleryBenchmark_StoppedBySignal_LeavesNothingItStartedRunning(int signal, string name)
    {
        var bench = Path.Combine(EngineCommands.RepoRoot, "dotnet", "benchmarks", "Multiprocess.Benchmarks", "bin", EngineCommands.Configuration, "net10.0", "multiprocess-bench");
        Assert.That(File.Exists(bench), Is.True, $"not built: {bench} (dotnet build Multiprocess.sln -c {EngineCommands.Configuration})");
        var output = Directory.CreateTempSubdirectory("celery-signal-").FullName;
        try
        {
            // The worker phase on Redis: redis-server, `multiprocess celery worker`, and Celery's prefork worker
            // (python3 -m celery … worker -c 2) with its two pool processes.
            using var run = ChildProcess.Start(bench, ["celery", "--cases", "redis-trivial-worker", "--out", output]);
            var tree = WaitForTree(run);
            Assert.That(Kill(run.Pid, signal), Is.Zero, $"kill({run.Pid}, {name})");
            var code = run.WaitForExit(TimeSpan.FromSeconds(60));

            // Reparented orphans would need a moment to be killed by nobody: allow the stragglers' exit a few seconds.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (tree.Any(m => ProcessTree.IsAlive(m.Member)) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }

            var left = tree.Where(m => ProcessTree.IsAlive(m.Member)).Select(m => $"{m.Member.Pid} {m.CommandLine}").ToList();
            Assert.That(left, Is.Empty, $"still running after the benchmark's {name}:\n{string.Join("\n", left)}\n{run.Tail()}");
            // Killed by the signal (128 + it) once the handler returns, unless the benchmark's own thread, its
            // broker gone, reported the failure and exited first (1; its exit then waited for the handler).
            Assert.That(code, Is.EqualTo(128 + signal).Or.EqualTo(1), run.Tail());
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    // The benchmark's process tree once redis-server, the C# worker and the prefork worker with ≥ 2 children run.
    private static List<(ProcessTree.Member Member, string CommandLine)> WaitForTree(ChildProcess run)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        while (true)
        {
            var snapshot = ProcessTree.Snapshot();
            var tree = snapshot.Descendants(run.Pid).Select(m => (Member: m, CommandLine: CommandLine(m.Pid))).ToList();
            var redis = tree.Any(m => m.CommandLine.Contains("redis-server", StringComparison.Ordinal));
            var csWorker = tree.Any(m => m.CommandLine.Contains("celery worker", StringComparison.Ordinal));
            var pyWorker = tree.FirstOrDefault(m => m.CommandLine.Contains("bench_celery worker", StringComparison.Ordinal));
            if (redis && csWorker && pyWorker.CommandLine is not null && snapshot.Descendants(pyWorker.Member.Pid).Count >= 3)
            {
                return tree;
            }

            if (run.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the benchmark's servers and workers did not all start ({(run.HasExited ? "it exited" : "180 s")}); its tree:\n{string.Join("\n", tree.Select(m => $"{m.Member.Pid} {m.CommandLine}"))}\n{run.Tail()}");
            }

            Thread.Sleep(50);
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
