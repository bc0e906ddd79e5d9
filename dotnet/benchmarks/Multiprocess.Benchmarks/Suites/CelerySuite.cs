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
/// Two payloads: a trivial task (the argument is the task's number) and 1 MiB (a str of 1 MiB, echoed back).
/// Worker throughput: one C# <see cref="CeleryPool"/> maps N tasks onto one worker's queue (sent eagerly, results read
/// in order) and the time until the last result is back gives ns per task; the samples of the two workers alternate,
/// so that load on this shared machine falls on both. Worker (and broker) CPU per task: user+system time of the
/// worker's process tree (Celery's prefork parent and its children), and of the broker's, over those samples, from
/// /proc. Client round trip: send_task + get, one at a time, by each client against the C# worker (the C# client
/// warms up until neither its JIT nor the worker's compiles any more): the mean per
/// sample (min and median over samples), and the p50 and p99 of every single round trip (rows "… p50"/"… p99",
/// the percentile in the median column). Results: Redis backend on Redis, rpc:// on RabbitMQ. <c>--cases GROUP</c>
/// runs a part alone and starts only the servers and workers it needs: a broker (<c>rabbitmq</c>), a payload on it
/// (<c>rabbitmq-trivial</c>, <c>rabbitmq-1mib</c>), or one phase of those (<c>rabbitmq-trivial-worker</c>,
/// <c>rabbitmq-1mib-client</c>; <c>redis-…</c> likewise).
/// </remarks>
public sealed partial class CelerySuite : IBenchmarkSuite
{
    private const string PythonCelery = "/usr/bin/python3";
    private const int Concurrency = 2;
    private const string? Trivial = null;

    // 1 MiB of ASCII: the same size in json (a str) and in the kombu envelope's base64 on Redis (4/3 of it).
    private static readonly string Large = new('x', 1 << 20);

    /// <inheritdoc/>
    public string Name => "celery";

    /// <inheritdoc/>
    public IReadOnlyList<string> CaseGroups { get; } =
        [.. from b in new[] { "redis", "rabbitmq" }
            from g in new[] { "", "-trivial", "-trivial-worker", "-trivial-client", "-1mib", "-1mib-worker", "-1mib-client" }
            select b + g];

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var label = ProbeCelery();
        var pyWorker = $"Celery {label} prefork worker";
        var pyClient = $"Celery {label} client";
        var loadBefore = MachineLoad.Now();
        var rows = new List<ResultRow>();
        if (Runs(context, "Redis", null, null))
        {
            using var redis = RedisServer.Start();
            rows.AddRange(RunBroker(context, "Redis", redis.Url(), redis.Url(), redis.Pid, pyWorker, pyClient));
        }

        if (Runs(context, "RabbitMQ", null, null))
        {
            using var rabbit = RabbitServer.Start();
            rows.AddRange(RunBroker(context, "RabbitMQ", rabbit.Url, "rpc://", rabbit.Pid, pyWorker, pyClient));
        }

        ResultsWriter.FillRatios(rows);
        var load = MachineLoad.Around(loadBefore);
        foreach (var row in rows.Where(r => r.Implementation != r.Baseline))
        {
            // Issue 14's goals: a C# worker ≥ 3× Celery's on trivial tasks; the client no slower than Celery's own.
            var goal = row.Case.StartsWith("trivial task", StringComparison.Ordinal) && row.Case.EndsWith("worker throughput", StringComparison.Ordinal) ? 3.0
                : row.Case.Contains("client round trip", StringComparison.Ordinal) ? 1.0
                : 0;
            var prefix = row.Note.Length > 0 ? row.Note + "; " : "";
            row.Note = prefix + (goal > 0
                ? string.Create(CultureInfo.InvariantCulture, $"goal ≥{goal:F1}× {row.Baseline}: {(row.Ratio >= goal ? "met" : "not met")} ({row.Ratio:F2}×); {load}")
                : load);
        }

        return rows;
    }

    private static IEnumerable<ResultRow> RunBroker(BenchContext context, string brokerName, string broker, string backend, int brokerPid, string pyWorker, string pyClient)
    {
        var tag = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var csQueue = $"bench-cs-{tag}";
        var pyQueue = $"bench-py-{tag}";
        var samples = context.Samples(5);
        var rows = new List<ResultRow>();

        using var csWorker = ChildProcess.Start(
            EngineCommands.Cli,
            ["celery", "worker", "--broker", broker, "--backend", backend, "--queues", csQueue, "--concurrency", Text(Concurrency),
             "--prefetch-multiplier", "4", "--hostname", $"bench-cs-{tag}@localhost", "--without-heartbeat"]);
        csWorker.WaitForLine("READY", TimeSpan.FromSeconds(60));
        var workerPhase = Runs(context, brokerName, null, worker: true);
        using var pyWorkerProcess = !workerPhase ? null : ChildProcess.Start(
            PythonCelery,
            ["-m", "celery", "-A", "bench_celery", "worker", "-P", "prefork", "-c", Text(Concurrency), "-Q", pyQueue,
             "-n", $"bench-py-{tag}@localhost", "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            PeerEnvironment(broker, backend),
            context.ScriptDirectory);
        pyWorkerProcess?.WaitForLine("READY", TimeSpan.FromSeconds(120));

        using var client = new CeleryClient(broker, backend);
        using var pool = new CeleryPool(client) { Timeout = TimeSpan.FromMinutes(5) };
        foreach (var (payload, tasks, roundTrips) in new[] { (Trivial, context.Ops(2000), context.Ops(300)), (Large, context.Ops(40), context.Ops(20)) })
        {
            var prefix = $"{PayloadName(payload)}, {brokerName}";
            var bytes = payload is null ? 0 : 2L * payload.Length; // the argument in, the same back as the result
            var key = payload is null ? "trivial" : "1mib";
            if (pyWorkerProcess is not null && Runs(context, brokerName, key, worker: true))
            {
                var workers = new[] { (Queue: csQueue, Process: csWorker, Impl: "C# worker"), (Queue: pyQueue, Process: pyWorkerProcess, Impl: pyWorker) };
                rows.AddRange(WorkerThroughput(pool, workers, prefix, payload, tasks, samples, brokerPid, pyWorker, bytes));
            }

            if (Runs(context, brokerName, key, worker: false))
            {
                rows.AddRange(ClientRoundTrips(context, client, (csQueue, csWorker.Pid, brokerPid), prefix, payload, roundTrips, samples, broker, backend, pyClient, bytes));
            }
        }

        return rows;
    }

    private static string PayloadName(string? payload) => payload is null ? "trivial task" : "1 MiB payload";

    // Whether --cases leaves a phase (worker or client; null: either) of a payload ("trivial" or "1mib"; null: either)
    // on a broker to run.
    private static bool Runs(BenchContext context, string brokerName, string? payload, bool? worker)
    {
        if (context.Cases is not { } group)
        {
            return true;
        }

        var parts = group.Split('-');
        return parts[0] == brokerName.ToLowerInvariant()
            && (parts.Length < 2 || payload is null || parts[1] == payload)
            && (parts.Length < 3 || worker is null || parts[2] == (worker.Value ? "worker" : "client"));
    }

    // Worker throughput, the worker's and the broker's CPU per task: one Map of `tasks` per sample onto each worker's
    // queue, the two workers' samples alternating (one warm-up map each first).
    private static List<ResultRow> WorkerThroughput(
        CeleryPool pool, (string Queue, ChildProcess Process, string Impl)[] workers, string prefix, string? payload, long tasks, int samples, int brokerPid, string pyWorker, long bytes)
    {
        var wall = workers.Select(_ => new List<double>()).ToArray();
        var cpu = workers.Select(_ => new List<double>()).ToArray();
        var brokerCpu = workers.Select(_ => new List<double>()).ToArray();
        var counters = new TreeCounters[workers.Length, 3]; // worker, broker, this process (the client), summed over samples
        for (var s = -1; s < samples; s++)
        {
            for (var w = 0; w < workers.Length; w++)
            {
                pool.Options.Queue = workers[w].Queue;
                int[] pids = [workers[w].Process.Pid, brokerPid, Environment.ProcessId];
                var countersBefore = pids.Select(TreeCounters.Read).ToArray();
                var cpuBefore = TreeCpu(workers[w].Process.Pid);
                var brokerBefore = TreeCpu(brokerPid);
                var start = Stopwatch.GetTimestamp();
                var results = pool.Map("multiprocess.echo", Enumerable.Range(0, (int)tasks).Select(i => payload is null ? (object?)(long)i : payload));
                var elapsed = Stopwatch.GetElapsedTime(start);
                var cpuAfter = TreeCpu(workers[w].Process.Pid);
                var brokerAfter = TreeCpu(brokerPid);
                var countersAfter = pids.Select(TreeCounters.Read).ToArray();
                Check(results, tasks, payload, workers[w].Impl);
                if (s >= 0)
                {
                    wall[w].Add(elapsed.TotalNanoseconds / tasks);
                    cpu[w].Add((cpuAfter - cpuBefore).TotalNanoseconds / tasks);
                    brokerCpu[w].Add((brokerAfter - brokerBefore).TotalNanoseconds / tasks);
                    for (var i = 0; i < pids.Length; i++)
                    {
                        counters[w, i] += countersAfter[i] - countersBefore[i];
                    }
                }
            }
        }

        // Figures that depend less on the machine's load than the timings (console only): CPU and context switches per task.
        var counted = tasks * Math.Max(samples, 1);
        for (var w = 0; w < workers.Length; w++)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {prefix}, {workers[w].Impl}, per task: worker {counters[w, 0].Describe(counted)}; broker {counters[w, 1].Describe(counted)}; client {counters[w, 2].Describe(counted)}"));
        }

        var rows = new List<ResultRow>();
        for (var w = 0; w < workers.Length; w++)
        {
            rows.Add(Row($"{prefix}: worker throughput", workers[w].Impl, pyWorker, Stats.FromSamples(wall[w], tasks), bytes));
            rows.Add(Row($"{prefix}: worker CPU per task", workers[w].Impl, pyWorker, Stats.FromSamples(cpu[w], tasks)));
            rows.Add(Row($"{prefix}: broker CPU per task", workers[w].Impl, pyWorker, Stats.FromSamples(brokerCpu[w], tasks)));
        }

        return rows;
    }

    // Client round trip against the C# worker: send_task + get, one at a time, by each client; besides the per-sample
    // mean (min and median over samples), the p50 and p99 of every single round trip (in the MedianNs column). The
    // console also gets CPU and context switches per round trip of the client, the worker and the broker (the
    // measures this shared machine's load distorts least).
    private static List<ResultRow> ClientRoundTrips(
        BenchContext context, CeleryClient client, (string Queue, int WorkerPid, int BrokerPid) target, string prefix, string? payload, long roundTrips, int samples, string broker, string backend, string pyClient, long bytes)
    {
        var csQueue = target.Queue;
        var clientCase = $"{prefix}: client round trip";
        var perSample = new List<double>();
        var single = new List<double>();
        int[] pids = [Environment.ProcessId, target.WorkerPid, target.BrokerPid];
        var counters = new TreeCounters[pids.Length];

        // Warm-up: batches until two in a row pass with the client compiling (almost) no method and the worker's JIT
        // thread using no CPU (at most 60). One batch was too few: the tiered JIT recompiled the client's and the
        // worker's paths for ~300 round trips of 1 MiB (the client's JIT thread alone used 2 s), so the measured
        // samples carried it (18 ms CPU per round trip in the client, 8 ms once settled) while the Python client,
        // measured after, found the C# worker warm.
        var warmBatches = 0;
        for (var quiet = 0; quiet < 2 && warmBatches < 60; warmBatches++)
        {
            var methods = System.Runtime.JitInfo.GetCompiledMethodCount();
            var workerJit = JitTicks(target.WorkerPid);
            RoundTrips(measured: false);
            var settled = System.Runtime.JitInfo.GetCompiledMethodCount() - methods < 5 && workerJit >= 0 && JitTicks(target.WorkerPid) == workerJit;
            quiet = settled ? quiet + 1 : 0;
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var gen2Before = GC.CollectionCount(2);
        for (var s = 0; s < samples; s++)
        {
            var before = pids.Select(TreeCounters.Read).ToArray();
            var sampleStart = Stopwatch.GetTimestamp();
            RoundTrips(measured: true);
            perSample.Add(Stopwatch.GetElapsedTime(sampleStart).TotalNanoseconds / roundTrips);
            var after = pids.Select(TreeCounters.Read).ToArray();
            for (var i = 0; i < pids.Length; i++)
            {
                counters[i] += after[i] - before[i];
            }
        }

        void RoundTrips(bool measured)
        {
            for (long i = 0; i < roundTrips; i++)
            {
                var start = Stopwatch.GetTimestamp();
                object? arg = payload is null ? i : payload;
                var r = client.SendTask("multiprocess.echo", [arg], options: new SendOptions { Queue = csQueue }).Get(TimeSpan.FromSeconds(60));
                var ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
                if (r is not List<object?> { Count: 1 } list || !Equals(list[0], arg))
                {
                    throw new InvalidOperationException($"multiprocess.echo({Describe(arg)}) returned {Describe(r)}");
                }

                if (measured)
                {
                    single.Add(ns);
                }
            }
        }

        var counted = roundTrips * Math.Max(samples, 1);
        var allocated = (GC.GetTotalAllocatedBytes() - allocatedBefore) / counted;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {prefix}, C# client, per round trip: client {counters[0].Describe(counted)}, {allocated} bytes allocated ({gen2} gen2 GCs in all); worker {counters[1].Describe(counted)}; broker {counters[2].Describe(counted)} (after {warmBatches} warm-up batches)"));

        var rows = new List<ResultRow>
        {
            Row(clientCase, "C# client", pyClient, Stats.FromSamples(perSample, roundTrips), bytes),
            Row($"{clientCase} p50", "C# client", pyClient, Percentile(single, 0.50, roundTrips), bytes),
            Row($"{clientCase} p99", "C# client", pyClient, Percentile(single, 0.99, roundTrips), bytes),
        };
        using var pyClientProcess = ChildProcess.Start(
            PythonCelery,
            ["bench_celery.py", "client", "--queue", csQueue, "--ops", Text(roundTrips), "--samples", Text(samples), "--case", clientCase, "--impl", pyClient,
             "--payload-bytes", Text(payload?.Length ?? 0), .. context.Smoke ? ["--smoke"] : Array.Empty<string>()],
            PeerEnvironment(broker, backend),
            context.ScriptDirectory);
        var pyBefore = pids[1..].Select(TreeCounters.Read).ToArray();
        var code = pyClientProcess.WaitForExit(TimeSpan.FromMinutes(10));
        var pyAfter = pids[1..].Select(TreeCounters.Read).ToArray();
        var lines = pyClientProcess.Output.Split('\n').Where(l => l.StartsWith('{')).ToList();
        var pyCounters = pyClientProcess.Output.Split('\n').FirstOrDefault(l => l.StartsWith("client ", StringComparison.Ordinal)) ?? "client n/a";
        var pyCounted = roundTrips * (Math.Max(samples, 1) + 1); // the Python client's warm-up batch ran meanwhile too
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {prefix}, {pyClient}, per round trip: {pyCounters}; worker {(pyAfter[0] - pyBefore[0]).Describe(pyCounted)}; broker {(pyAfter[1] - pyBefore[1]).Describe(pyCounted)} (worker and broker: with the warm-up)"));
        if (code != 0 || lines.Count != 3)
        {
            throw new InvalidOperationException($"bench_celery.py client exited {code} with {lines.Count} result lines, not 3:\n{pyClientProcess.Tail()}");
        }

        foreach (var line in lines)
        {
            var (@case, _, stats) = PythonPeer.Parse(line);
            rows.Add(Row(@case, pyClient, pyClient, stats, bytes));
        }

        return rows;
    }

    // The nearest-rank percentile of single round trips: one "sample" of all of them, min beside it.
    private static Stats Percentile(List<double> ns, double q, long roundTrips)
    {
        var sorted = ns.Order().ToArray();
        var rank = Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1);
        return new Stats(sorted[0], sorted[rank], 1, sorted.Length) { Note = $"{q * 100:0}th percentile of {sorted.Length} single round trips ({roundTrips} per sample)" };
    }

    private static string Describe(object? value) => value is string { Length: > 64 } text ? $"a string of {text.Length} characters" : $"{value}";

    private static ResultRow Row(string @case, string impl, string baseline, Stats stats, long bytes = 0)
    {
        var row = ResultRow.From("celery", @case, impl, stats, bytes);
        row.Baseline = baseline;
        row.Note = stats.Note ?? "";
        return row;
    }

    private static void Check(IReadOnlyList<object?> results, long tasks, string? payload, string worker)
    {
        for (var i = 0; i < tasks; i++)
        {
            object? expected = payload is null ? (long)i : payload;
            if (results[i] is not List<object?> { Count: 1 } list || !Equals(list[0], expected))
            {
                throw new InvalidOperationException($"{worker}: result {i} is {Describe(results[i])}, not [{Describe(expected)}]");
            }
        }
    }

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
}
