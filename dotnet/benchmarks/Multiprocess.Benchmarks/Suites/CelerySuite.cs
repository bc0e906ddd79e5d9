using System.Diagnostics;
using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Celery;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// Celery (issue 14), on a redis-server and a rabbitmq-server this run starts on loopback (own ports and directories,
/// stopped afterwards): a C# worker (<c>multiprocess celery worker</c>, its own process) against Celery's prefork
/// worker (Debian's python3-celery, <c>python/bench_celery.py</c>), both at concurrency 2, prefetch multiplier 4, late
/// acks, json, running the same trivial task (<c>multiprocess.echo</c>); and the C# client against Celery's client.
/// </summary>
/// <remarks>
/// Worker throughput: one C# <see cref="CeleryPool"/> maps N tasks onto one worker's queue (sent eagerly, results read
/// in order) and the time until the last result is back gives ns per task; the samples of the two workers alternate,
/// so that load on this shared machine falls on both. Worker CPU per task: user+system time of the worker's process
/// tree (Celery's prefork parent and its children) over those samples, from /proc. Client round trip: send_task +
/// get, one at a time, by each client against the C# worker. Results: Redis backend on Redis, rpc:// on RabbitMQ.
/// </remarks>
public sealed class CelerySuite : IBenchmarkSuite
{
    private const string PythonCelery = "/usr/bin/python3";
    private const int Concurrency = 2;

    /// <inheritdoc/>
    public string Name => "celery";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var label = ProbeCelery();
        var pyWorker = $"Celery {label} prefork worker";
        var pyClient = $"Celery {label} client";
        var loadBefore = LoadAverage();
        var rows = new List<ResultRow>();
        using (var redis = RedisServer.Start())
        {
            rows.AddRange(RunBroker(context, "Redis", redis.Url(), redis.Url(), pyWorker, pyClient));
        }

        using (var rabbit = RabbitServer.Start())
        {
            rows.AddRange(RunBroker(context, "RabbitMQ", rabbit.Url, "rpc://", pyWorker, pyClient));
        }

        ResultsWriter.FillRatios(rows);
        var load = string.Create(CultureInfo.InvariantCulture, $"load average {loadBefore} before, {LoadAverage()} after the run (1 min), {Environment.ProcessorCount} cores");
        foreach (var row in rows.Where(r => r.Implementation != r.Baseline))
        {
            var goal = row.Case.EndsWith("worker throughput", StringComparison.Ordinal) ? 3.0 : row.Case.EndsWith("round trip", StringComparison.Ordinal) ? 1.0 : 0;
            row.Note = goal > 0
                ? string.Create(CultureInfo.InvariantCulture, $"goal ≥{goal:F1}× {row.Baseline}: {(row.Ratio >= goal ? "met" : "not met")} ({row.Ratio:F2}×); {load}")
                : load;
        }

        return rows;
    }

    private static IEnumerable<ResultRow> RunBroker(BenchContext context, string brokerName, string broker, string backend, string pyWorker, string pyClient)
    {
        var tag = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var csQueue = $"bench-cs-{tag}";
        var pyQueue = $"bench-py-{tag}";
        var tasks = context.Ops(2000);
        var samples = context.Samples(5);
        var roundTrips = context.Ops(300);
        var rows = new List<ResultRow>();

        using var csWorker = ChildProcess.Start(
            EngineCommands.Cli,
            ["celery", "worker", "--broker", broker, "--backend", backend, "--queues", csQueue, "--concurrency", Text(Concurrency),
             "--prefetch-multiplier", "4", "--hostname", $"bench-cs-{tag}@localhost", "--without-heartbeat"]);
        csWorker.WaitForLine("READY", TimeSpan.FromSeconds(60));
        using var pyWorkerProcess = ChildProcess.Start(
            PythonCelery,
            ["-m", "celery", "-A", "bench_celery", "worker", "-P", "prefork", "-c", Text(Concurrency), "-Q", pyQueue,
             "-n", $"bench-py-{tag}@localhost", "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            PeerEnvironment(broker, backend),
            context.ScriptDirectory);
        pyWorkerProcess.WaitForLine("READY", TimeSpan.FromSeconds(120));

        using var client = new CeleryClient(broker, backend);
        using var pool = new CeleryPool(client) { Timeout = TimeSpan.FromMinutes(5) };

        // Worker throughput and CPU: the two workers' samples alternate (one warm-up map each first).
        var workers = new[] { (Queue: csQueue, Process: csWorker, Impl: "C# worker"), (Queue: pyQueue, Process: pyWorkerProcess, Impl: pyWorker) };
        var wall = workers.Select(_ => new List<double>()).ToArray();
        var cpu = workers.Select(_ => new List<double>()).ToArray();
        for (var s = -1; s < samples; s++)
        {
            for (var w = 0; w < workers.Length; w++)
            {
                pool.Options.Queue = workers[w].Queue;
                var cpuBefore = TreeCpu(workers[w].Process.Pid);
                var start = Stopwatch.GetTimestamp();
                var results = pool.Map("multiprocess.echo", Enumerable.Range(0, (int)tasks).Select(i => (object?)(long)i));
                var elapsed = Stopwatch.GetElapsedTime(start);
                var cpuAfter = TreeCpu(workers[w].Process.Pid);
                Check(results, tasks, workers[w].Impl);
                if (s >= 0)
                {
                    wall[w].Add(elapsed.TotalNanoseconds / tasks);
                    cpu[w].Add((cpuAfter - cpuBefore).TotalNanoseconds / tasks);
                }
            }
        }

        for (var w = 0; w < workers.Length; w++)
        {
            rows.Add(Row($"trivial task, {brokerName}: worker throughput", workers[w].Impl, pyWorker, Stats.FromSamples(wall[w], tasks)));
            rows.Add(Row($"trivial task, {brokerName}: worker CPU per task", workers[w].Impl, pyWorker, Stats.FromSamples(cpu[w], tasks)));
        }

        // Client round trip against the C# worker: send_task + get, one at a time.
        var clientCase = $"trivial task, {brokerName}: client round trip";
        var csClient = Sampler.Measure(
            n =>
            {
                for (long i = 0; i < n; i++)
                {
                    var r = client.SendTask("multiprocess.echo", [i], options: new SendOptions { Queue = csQueue }).Get(TimeSpan.FromSeconds(60));
                    if (r is not List<object?> { Count: 1 } list || !Equals(list[0], i))
                    {
                        throw new InvalidOperationException($"multiprocess.echo({i}) returned {r}");
                    }
                }
            },
            roundTrips,
            samples);
        rows.Add(Row(clientCase, "C# client", pyClient, csClient));
        using var pyClientProcess = ChildProcess.Start(
            PythonCelery,
            ["bench_celery.py", "client", "--queue", csQueue, "--ops", Text(roundTrips), "--samples", Text(samples), "--case", clientCase, "--impl", pyClient, .. context.Smoke ? ["--smoke"] : Array.Empty<string>()],
            PeerEnvironment(broker, backend),
            context.ScriptDirectory);
        var code = pyClientProcess.WaitForExit(TimeSpan.FromMinutes(10));
        var line = pyClientProcess.Output.Split('\n').FirstOrDefault(l => l.StartsWith('{'));
        if (code != 0 || line is null)
        {
            throw new InvalidOperationException($"bench_celery.py client exited {code}:\n{pyClientProcess.Tail()}");
        }

        var (_, _, pyStats) = PythonPeer.Parse(line);
        rows.Add(Row(clientCase, pyClient, pyClient, pyStats));
        return rows;
    }

    private static ResultRow Row(string @case, string impl, string baseline, Stats stats)
    {
        var row = ResultRow.From("celery", @case, impl, stats);
        row.Baseline = baseline;
        return row;
    }

    private static void Check(IReadOnlyList<object?> results, long tasks, string worker)
    {
        for (var i = 0; i < tasks; i++)
        {
            if (results[i] is not List<object?> { Count: 1 } list || !Equals(list[0], (long)i))
            {
                throw new InvalidOperationException($"{worker}: result {i} is {results[i]}, not [{i}]");
            }
        }
    }

    /// <summary>User + system CPU time of a process and its children (Celery's prefork pool), from /proc/PID/stat.</summary>
    private static TimeSpan TreeCpu(int pid)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var p))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state is field 0
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (p == pid || parent == pid)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        return TimeSpan.FromSeconds(ticks / (double)ClockTicks);
    }

    private static readonly long ClockTicks = SysConf(2) is var t and > 0 ? t : 100; // _SC_CLK_TCK

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    private static Dictionary<string, string> PeerEnvironment(string broker, string backend) => new()
    {
        ["BENCH_CELERY_BROKER"] = broker,
        ["BENCH_CELERY_BACKEND"] = backend,
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["C_FORCE_ROOT"] = "1", // the benchmark may run as root, as CI does
    };

    private static string ProbeCelery()
    {
        using var p = ChildProcess.Start(PythonCelery, ["-c", "import celery, sys; print(celery.__version__, 'CPython %d.%d' % sys.version_info[:2])"]);
        var code = p.WaitForExit(TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            throw new InvalidOperationException($"Celery is not importable by {PythonCelery} (apt package python3-celery: scripts/setup.sh):\n{p.Output}");
        }

        var parts = p.Output.Trim().Split(' ', 2);
        return $"{parts[0]} ({parts[1]})";
    }

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
