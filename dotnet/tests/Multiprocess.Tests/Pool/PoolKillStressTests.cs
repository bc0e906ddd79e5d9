using Multiprocess.Pooling;
using Multiprocess.Processes;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Processes;

namespace Multiprocess.Tests.Pooling;

/// <summary>
/// Python workers SIGKILLed at random moments while a Map, an Imap and ten ApplyAsync calls run on the pool: every
/// job ends (no hang), with every result exact or with a <see cref="ProcessException"/> that names what the kill
/// cost (never a silently missing or wrong result), and the pool goes on serving. One round in the suite;
/// scripts/stress-pool.sh runs POOL_STRESS_ROUNDS of them (50) in one test run.
/// </summary>
[TestFixture]
public sealed class PoolKillStressTests
{
    private const int Items = 30;

    /// <summary>How long a job may take before the test calls it a hang: a guard, far above any round's length.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public static IEnumerable<int> StressRounds => PoolTests.StressRounds;

    private static string F(string name) => PythonTargets.Target(name);

    [TestCaseSource(nameof(StressRounds))]
    public void RandomWorkerKills_DuringMapImapApplyAsync_EveryJobExactOrFailedByName(int round)
    {
        var rng = new Random(round * 7919);
        var log = new RecordingLogger();
        using var pool = new Pool(new PoolOptions { Processes = 3, Process = PythonTargets.Options("3.12"), Logger = log });
        Assert.That(pool.Map(F("square"), [1L, 2L, 3L]), Has.Count.EqualTo(3), "the workers are up");
        var items = Enumerable.Range(0, Items).Select(i => (object?)(long)i).ToList();

        var map = pool.MapAsync(F("slow_identity"), items, chunksize: 1);
        var imapSeen = new List<object?>();
        var imap = Task.Run(() =>
        {
            foreach (var x in pool.Imap(F("slow_identity"), items))
            {
                imapSeen.Add(x);
            }
        });
        var applies = items.Take(10).Select(x => pool.ApplyAsync(F("slow_identity"), [x])).ToList();

        var kills = 0;
        for (var k = 0; k < 2; k++)
        {
            Thread.Sleep(rng.Next(0, 150));
            var alive = pool.Workers.Where(w => w.Language == "Python" && w.ExitCode is null).ToList();
            if (alive.Count > 0)
            {
                KillQuietly(alive[rng.Next(alive.Count)].Pid);
                kills++;
            }
        }

        var outcomes = new List<string>();
        var all = Task.WhenAll(applies.Cast<Task>().Append(map).Append(imap));
        Assert.That(all.ContinueWith(_ => { }, TaskScheduler.Default).Wait(HangGuard), Is.True, "a job hung");
        outcomes.Add(Outcome("Map", map, () => Assert.That(map.Result, Is.EqualTo(items))));
        outcomes.Add(Outcome("Imap", imap, () => Assert.That(imapSeen, Is.EqualTo(items))));
        if (imap.IsFaulted)
        {
            Assert.That(imapSeen, Is.EqualTo(items.Take(imapSeen.Count)), "Imap gave its results before the failure in order");
        }

        for (var i = 0; i < applies.Count; i++)
        {
            var apply = applies[i];
            var expected = items[i];
            outcomes.Add(Outcome("ApplyAsync", apply, () => Assert.That(apply.Result, Is.EqualTo(expected))));
        }

        // The pool has replaced the dead and serves the next job whole; if it broke, say why (its log).
        Assert.That(log.Errors, Is.Empty, () => $"round {round}: {kills} kills; the pool logged: {string.Join(" | ", log.Messages)}; outcomes: {string.Join(", ", outcomes)}");
        var next = pool.MapAsync(F("square"), items, chunksize: 1);
        Assert.That(next.ContinueWith(_ => { }, TaskScheduler.Default).Wait(HangGuard), Is.True, "the pool hung after the kills");
        Assert.That(next.IsFaulted, Is.False, () => $"round {round}: the next Map failed: {next.Exception?.InnerException?.Message}; the pool logged: {string.Join(" | ", log.Messages)}; outcomes: {string.Join(", ", outcomes)}; workers: {string.Join(", ", pool.Workers.Select(w => $"{w.Pid}:{w.ExitCode}"))}");
        Assert.That(pool.Map(F("square"), items), Is.EqualTo(items.Select(x => (object?)((long)x! * (long)x!))));
        TestContext.Out.WriteLine($"round {round}: {kills} kills; " + string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Key} x{g.Count()}"))
                                  + string.Concat(log.Messages.Select(m => "; pool log: " + m)));
    }

    /// <summary>"Map ok" after checking the results, or "Map failed: ..." when the job failed with a ProcessException.</summary>
    private static string Outcome(string job, Task task, Action checkResults)
    {
        if (!task.IsFaulted)
        {
            checkResults();
            return $"{job} ok";
        }

        var e = task.Exception!.InnerExceptions.Single();
        Assert.That(e, Is.InstanceOf<ProcessException>(), () => $"{job} failed with {e}");
        Assert.That(e.Message, Does.Contain("exited with code -9").Or.Contain("was lost").Or.Contain("cannot be trusted"), () => $"{job}: {e.Message}");
        return $"{job} failed ({(e.Message.Contains("while writing the result", StringComparison.Ordinal) ? "its worker was killed writing its result" : e.Message.Contains("exited with code -9", StringComparison.Ordinal) ? "its worker was killed running it" : e.Message.Contains("was lost", StringComparison.Ordinal) ? "a task taken and lost" : "result stream broken")})";
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    /// <summary>What the pool logged: errors are a broken pool or a failed callback; warnings include a result write
    /// cut short by a kill, which the pool recovers from.</summary>
    private sealed class RecordingLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages;

        public IReadOnlyList<string> Errors => _messages.Where(m => m.StartsWith("Error", StringComparison.Ordinal)).ToList();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _messages.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
