using Multiprocess.Pooling;
using Multiprocess.Processes;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Processes;

namespace Multiprocess.Tests.Pooling;

/// <summary>The pool with CPython workers running multiprocessing.pool.worker, with every CPython: results, errors
/// with the remote traceback, initializer and maxtasksperchild, a worker killed mid-task, and the mixed pool.</summary>
[TestFixture]
public sealed class PoolTests
{
    private static PoolOptions Options(string version, int processes = 2, int csharp = 0) => new()
    {
        Processes = processes,
        CSharpWorkers = csharp,
        Process = PythonTargets.Options(version),
    };

    private static string F(string name) => PythonTargets.Target(name);

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public async Task MapStarMapApplyImap_PythonWorkers_ResultsAsCPythonGives(string version)
    {
        using var pool = new Pool(Options(version));
        var items = Enumerable.Range(0, 100).Select(i => (object?)(long)i).ToList();
        var squares = items.Select(i => (object?)((long)i! * (long)i!)).ToList();

        Assert.That(pool.Map(F("square"), items), Is.EqualTo(squares));
        Assert.That(pool.Map(F("square"), items, chunksize: 7), Is.EqualTo(squares));
        Assert.That(pool.Map(F("square"), []), Is.Empty);
        Assert.That(pool.StarMap(F("add"), [[1L, 2L], ["a", "b"], [1.5, 2L]]), Is.EqualTo(new object?[] { 3L, "ab", 3.5 }));
        Assert.That(pool.Apply(F("add"), [20L], new Dictionary<string, object?> { ["b"] = 22L }), Is.EqualTo(42L));
        Assert.That(await pool.ApplyAsync(F("square"), [12L]), Is.EqualTo(144L));
        Assert.That(await pool.MapAsync(F("square"), items, 10), Is.EqualTo(squares));
        Assert.That(pool.Imap(F("square"), items.Take(20)), Is.EqualTo(squares.Take(20)));
        Assert.That(pool.Imap(F("square"), items.Take(20), chunksize: 3), Is.EqualTo(squares.Take(20)));
        Assert.That(pool.ImapUnordered(F("square"), items.Take(20)), Is.EquivalentTo(squares.Take(20)));

        pool.Close();
        Assert.That(pool.Join(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(pool.Workers.Where(w => w.Language == "Python").All(w => w.ExitCode == 0), Is.True);
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Map_FunctionRaises_RemoteExceptionWithTraceback(string version)
    {
        using var pool = new Pool(Options(version, processes: 1));
        var items = Enumerable.Range(0, 10).Select(i => (object?)(long)i);
        var e = Assert.Throws<RemoteException>(() => pool.StarMap(F("fail_on"), items.Select(i => (IEnumerable<object?>)[i, 6L]).ToList()))!;
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Is.EqualTo("ValueError: bad item 6"));
            Assert.That(e.RemoteTraceback, Does.Contain("Traceback (most recent call last):").And.Contain("in fail_on").And.Contain("ValueError: bad item 6"));
            Assert.That(e.InnerException, Is.TypeOf<ArgumentException>());
        });

        // The pool goes on.
        Assert.That(pool.Apply(F("square"), [3L]), Is.EqualTo(9L));
        var imap = pool.Imap(F("fail_on"), [], 1);
        Assert.That(imap, Is.Empty);
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Initializer_AndMaxTasksPerChild_WorkersInitializedAndReplaced(string version)
    {
        var options = Options(version, processes: 2) with { Initializer = F("init_global"), InitArgs = ["ready"], MaxTasksPerChild = 2 };
        using var pool = new Pool(options);
        Assert.That(pool.Map(F("read_global"), Enumerable.Range(0, 6).Select(i => (object?)(long)i), chunksize: 1), Is.All.EqualTo("ready"));
        var pids = pool.Map(F("pid_of"), Enumerable.Range(0, 12).Select(i => (object?)(long)i), chunksize: 1);
        Assert.That(pids.Distinct().Count(), Is.GreaterThanOrEqualTo(4), "each worker ran at most 2 tasks");
        pool.Close();
        Assert.That(pool.Join(TimeSpan.FromSeconds(20)), Is.True);
        Assert.That(pool.Workers.Where(w => w.Language == "Python").Sum(w => w.Tasks), Is.EqualTo(18));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Map_WorkerKilledMidTask_CallerGetsErrorAndPoolRecovers(string version)
    {
        using var pool = new Pool(Options(version, processes: 2));
        var items = Enumerable.Range(0, 8).Select(i => (IEnumerable<object?>)[(long)i, 5L]).ToList();
        var e = Assert.Throws<ProcessException>(() => pool.StarMap(F("kill_on"), items, chunksize: 1))!;
        Assert.That(e.Message, Does.Contain("exited with code -9 while running task 5"));

        // A replacement worker takes the next work.
        Assert.That(pool.Map(F("square"), Enumerable.Range(0, 10).Select(i => (object?)(long)i)), Has.Count.EqualTo(10));
        Assert.That(pool.Workers.Count(w => w.ExitCode == -9), Is.EqualTo(1));
    }

    /// <summary>Rounds of the kill test: 1 in the suite; scripts/stress-pool.sh sets POOL_STRESS_ROUNDS (50).</summary>
    public static IEnumerable<int> StressRounds =>
        Enumerable.Range(1, int.TryParse(Environment.GetEnvironmentVariable("POOL_STRESS_ROUNDS"), out var n) && n > 0 ? n : 1);

    [TestCaseSource(nameof(StressRounds))]
    public void IdleWorkersKilled_OneHeldTheTaskLock_PoolReplacesThemAndGoesOn(int round)
    {
        // An idle worker waits for a task inside the task queue's read lock; with CPython's semaphore, killing it
        // leaves the lock taken and the pool hangs for ever. The pool's read lock is a flock(2), which the kernel
        // releases with the dead holder: the replacements simply take it.
        _ = round;
        using var pool = new Pool(Options("3.12", processes: 2));
        Assert.That(pool.Map(F("square"), [1L, 2L, 3L], chunksize: 1), Has.Count.EqualTo(3));
        // Both workers idle: one holds the task pipe's read lock (blocked in get()'s read), the other waits for it.
        var python = pool.Workers.Where(w => w.Language == "Python").Select(w => w.Pid).ToArray();
        var locks = (Holders: Array.Empty<int>(), Waiters: Array.Empty<int>());
        Assert.That(
            SpinWait.SpinUntil(
                () =>
                {
                    locks = FlockHolders.Read(pool.TaskLockPath);
                    return locks.Holders.Intersect(python).Any() && locks.Waiters.Intersect(python).Except(locks.Holders).Any();
                },
                TimeSpan.FromSeconds(30)),
            Is.True,
            () => $"one worker of [{string.Join(", ", python)}] holding the task lock and the other waiting for it; /proc/locks: holders [{string.Join(", ", locks.Holders)}], waiters [{string.Join(", ", locks.Waiters)}]");
        foreach (var w in pool.Workers.Where(w => w.Language == "Python"))
        {
            System.Diagnostics.Process.GetProcessById(w.Pid).Kill();
        }

        // Kill() only sends SIGKILL: wait until both are seen dead, or a worker still alive for a moment could take
        // a task of the next map before dying (then the pool rightly reports that task as lost).
        Assert.That(
            SpinWait.SpinUntil(() => pool.Workers.Count(w => w.ExitCode == -9) == 2, TimeSpan.FromSeconds(10)),
            Is.True,
            "both killed workers reaped");
        var squares = pool.MapAsync(F("square"), Enumerable.Range(0, 20).Select(i => (object?)(long)i), chunksize: 1);
        Assert.That(squares.Wait(TimeSpan.FromSeconds(20)), Is.True, "no hang");
        Assert.That(squares.Result, Is.EqualTo(Enumerable.Range(0, 20).Select(i => (object)((long)i * i))));
        Assert.That(pool.Workers.Count(w => w.ExitCode == -9), Is.EqualTo(2));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void MixedPool_OneStream_BothLanguagesWorkAndResultsInOrder(string version)
    {
        using var pool = new Pool(Options(version, processes: 2, csharp: 2));
        // The C# workers hold their first tasks until a Python worker has started one (its task slot counts it): else
        // they may finish all 400 before a Python worker is up (a slow start: 3.14 in the peer root, a loaded machine).
        var pythonStarted = false;
        pool.RegisterHandler(F("collatz_steps"), a =>
        {
            if (!Volatile.Read(ref pythonStarted))
            {
                SpinWait.SpinUntil(() => pool.Workers.Any(w => w.Language == "Python" && w.Tasks > 0), TimeSpan.FromSeconds(60));
                Volatile.Write(ref pythonStarted, true);   // once: a Python side that never starts fails the asserts below
            }

            return CollatzSteps((long)a[0]!, (long)a[1]!);
        });
        var ranges = Enumerable.Range(0, 400).Select(i => (IEnumerable<object?>)[1L + (i * 500L), 1L + ((i + 1) * 500L)]).ToList();
        var expected = ranges.Select(r => (object?)CollatzSteps((long)r.First()!, (long)r.Last()!)).ToList();

        Assert.That(pool.StarMap(F("collatz_steps"), ranges, chunksize: 1), Is.EqualTo(expected));
        var workers = pool.Workers;
        Assert.Multiple(() =>
        {
            Assert.That(workers.Where(w => w.Language == "C#").Sum(w => w.Tasks), Is.GreaterThan(0));
            Assert.That(workers.Where(w => w.Language == "Python").Sum(w => w.Tasks), Is.GreaterThan(0));
            Assert.That(workers.Sum(w => w.Tasks), Is.EqualTo(400));
        });

        Assert.That(() => pool.Map(F("square"), [1L]), Throws.ArgumentException.With.Message.Contains("no C# handler"));
        pool.Close();
        Assert.That(pool.Join(TimeSpan.FromSeconds(20)), Is.True);
    }

    [Test]
    public void CSharpOnlyPool_HandlerThrows_ExceptionSurfaces()
    {
        using var pool = new Pool(new PoolOptions { Processes = 0, CSharpWorkers = 2 });
        pool.RegisterHandler("m:f", a => (long)a[0]! == 3 ? throw new InvalidOperationException("three") : (int)(long)a[0]! * 2);
        Assert.That(pool.Map("m:f", [1L, 2L]), Is.EqualTo(new object?[] { 2L, 4L }), "C# results pass through pickle: int → long");
        Assert.That(() => pool.Map("m:f", [1L, 3L]), Throws.InvalidOperationException.With.Message.EqualTo("three"));
    }

    [Test]
    public void Terminate_WhileTasksRun_PendingCallsFail()
    {
        var pool = new Pool(Options("3.12", processes: 1));
        // 50 tasks of 0.2 s: terminated once the first has started, long before they could all end.
        var slow = pool.StarMapAsync(F("slow_identity"), Enumerable.Range(0, 50).Select(i => (IEnumerable<object?>)[(long)i, 0.2]), chunksize: 1);
        Assert.That(SpinWait.SpinUntil(() => pool.Workers.Any(w => w.Tasks > 0), TimeSpan.FromSeconds(30)), Is.True, "a worker started a task");
        pool.Terminate();
        Assert.That(async () => await slow, Throws.TypeOf<ProcessException>().With.Message.Contains("terminated"));
        Assert.That(pool.Join(TimeSpan.FromSeconds(20)), Is.True);
        pool.Dispose();
        Assert.That(() => pool.Map(F("square"), [1L]), Throws.InvalidOperationException);
    }

    [Test]
    public void Constructor_BadOptions_Throw()
    {
        Assert.That(() => new Pool(new PoolOptions { Processes = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Pool(new PoolOptions { Processes = 1, MaxTasksPerChild = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Pool(new PoolOptions { Processes = 1, Initializer = "nocolon" }), Throws.ArgumentException);
    }

    internal static long CollatzSteps(long start, long stop)
    {
        long total = 0;
        for (var n = start; n < stop; n++)
        {
            for (var m = n; m != 1; total++)
            {
                m = (m & 1) == 1 ? (3 * m) + 1 : m >> 1;
            }
        }

        return total;
    }
}
