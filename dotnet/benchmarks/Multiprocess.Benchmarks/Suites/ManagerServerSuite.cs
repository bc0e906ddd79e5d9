using System.Diagnostics;
using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Managers.Server;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>manager-server</c>: the same stock CPython clients (python/bench_manager_server.py) against the C# SyncManager
/// server (<c>multiprocess serve</c>, its own process) and against CPython's own, in one run: aggregate calls/s with
/// 1, 2 and 4 client processes for dict set/get, list append, Queue put/get, Lock, RLock, Semaphore(1) and
/// Condition (contended from 2 clients on) and proxy creation; the server process's CPU time per call; each
/// client's CPU per call; call latency p50/p99; server start time; and proxy creation over TCP with and without
/// TCP_QUICKACK. Both servers are up at once and each case's samples alternate between them by rounds (9 rounds of
/// half-size samples); throughput and the CPU rows carry the ratio paired by round (median over rounds of CPython's
/// sample over ours), the note the ratio of the medians. <c>--cases GROUP</c> runs one group (<see cref="CaseGroups"/>) at 1, 2 and 4 clients on both servers.
/// The floor, a bare echo server (<see cref="EchoFloor"/>), joins the rounds of the cases with a server-CPU goal, so
/// that each such verdict also says what a server doing nothing would reach in the same minutes.
/// </summary>
public sealed class ManagerServerSuite : IBenchmarkSuite
{
    private const string CSharpImpl = "C# server";
    private static readonly byte[] Key = "bench key"u8.ToArray();

    /// <summary>The cases with goals (issue 16), by the prefix of their name; the echo floor joins their rounds.</summary>
    private static readonly string[] s_goalCases = ["dict", "list", "Queue", "Lock"];

    /// <summary>The groups of <c>--cases</c>: the prefixes of bench_manager_server.py's cases each runs.</summary>
    private static readonly Dictionary<string, string> s_groups = new()
    {
        ["locks"] = "Lock,RLock,Semaphore,Condition",
        ["Lock"] = "Lock",
        ["dict"] = "dict",
        ["list"] = "list",
        ["Queue"] = "Queue",
        ["proxy creation"] = "proxy creation",
    };

    /// <summary>Why this run has no echo floor (gcc missing), for the verdicts; null when it has one.</summary>
    private string? _floorSkipped;

    /// <inheritdoc/>
    public string Name => "manager-server";

    /// <inheritdoc/>
    public IReadOnlyList<string> CaseGroups => [.. s_groups.Keys];

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cpython = $"CPython {context.PythonVersion} server";
        var rows = new List<ResultRow>();
        var timeout = TimeSpan.FromMinutes(context.Smoke ? 3 : 20);
        string[] subset = context.Cases is { } group ? ["--cases", s_groups[group]] : [];

        // C# server: `multiprocess serve` in its own process, so that its CPU time is the server's alone (AF_UNIX, as
        // a Python manager's default address). CPython's server runs at the same time (the script starts it, its own
        // process too) and every case's samples alternate between the two by rounds, the ratio paired by round: one
        // run after the other swung ±50 % between back-to-back quiet runs (load, and where the kernel put client and
        // serving thread on the 2 vCPUs, held for a whole case).
        // The server is SIGKILLed at the end, so it never unlinks its socket: the suite removes it, whatever happened.
        var unixPath = Path.Combine(Path.GetTempPath(), $"bench-mgr-{Environment.ProcessId}.sock");
        try
        {
            // The floor: the bare echo server, sampled in the goal cases' rounds right after (or before) the two
            // managers, so a regime of the VM that lasts minutes weighs on it as on them.
            using var floor = EchoFloor.Start(out _floorSkipped);
            if (floor is null)
            {
                Console.WriteLine($"  {EchoFloor.Name}: skipped, {_floorSkipped}");
            }

            string[] echo = floor is null
                ? []
                : ["--echo-address", floor.Address, "--echo-pid", floor.ProcessId.ToString(CultureInfo.InvariantCulture), "--echo-cases", string.Join(',', s_goalCases)];
            // Disposed also when the clients failed: a server left running would outlive the suite.
            using var serve = StartServe(unixPath);
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py",
                ["--impl", CSharpImpl, "--address", unixPath, "--authkey", Convert.ToHexString(Key), "--server-pid", serve.Pid.ToString(CultureInfo.InvariantCulture), "--paired-with", cpython, .. subset, .. echo], timeout), cpython));
        }
        finally
        {
            File.Delete(unixPath);
        }

        // Proxy creation over TCP: the client's Nagle algorithm meets the server's delayed ACK unless the server acks at once.
        foreach (var quickAck in context.Cases is null ? new[] { true, false } : [])
        {
            using var tcp = new SyncManagerServer("127.0.0.1:0", Key, new SyncManagerServerOptions { TcpQuickAck = quickAck });
            tcp.Start();
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py",
                ["--impl", quickAck ? CSharpImpl : CSharpImpl + ", no TCP_QUICKACK", "--address", tcp.Address, "--authkey", Convert.ToHexString(Key), "--tcp-only"],
                timeout), cpython));
        }

        if (context.Cases is null)
        {
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py", ["--impl", cpython, "--cpython", "--tcp", "--tcp-only"], timeout), cpython));
            rows.AddRange(StartTimes(context, cpython));
        }

        ResultsWriter.FillRatios(rows);
        return rows;
    }

    /// <summary>
    /// Each goal row's verdict, and next to it what this machine allows any blocking server, from the same rows
    /// (<see cref="ReachableBound"/>): throughput at N clients ≤ R × min(2 cores, N) × T / (c + k_C#), CPU ≤ R ×
    /// s_C# / k_C#, where R is the row's ratio, T the C# server's wall time per call, c the client CPU per call
    /// against it and k_C# its kernel CPU per call (the "server kernel CPU per call" row). A CPU verdict also gets the
    /// design-independent floor: CPython's server CPU per call over the echo server's, paired by round
    /// (<see cref="ReachableBound.FloorNote"/>).
    /// </summary>
    /// <inheritdoc/>
    public void Annotate(IList<ResultRow> rows, BenchContext context)
    {
        var cpython = $"CPython {context.PythonVersion} server";
        foreach (var row in rows.Where(r => r.Implementation == CSharpImpl))
        {
            var goal = Goal(row.Case);
            if (goal > 0)
            {
                var goalNote = string.Create(CultureInfo.InvariantCulture, $"goal ≥{goal:F1}× {cpython}: {(row.Ratio >= goal ? "met" : "not met")} ({row.Ratio:F2}×)");
                var bound = BoundNote(rows, row, goal, cpython);
                goalNote = bound is null ? $"{goalNote}; reachable here: not computed (no kernel CPU row: too few calls for /proc's ticks)" : $"{goalNote}; {bound}";
                if (row.Case.EndsWith(": server CPU per call", StringComparison.Ordinal))
                {
                    goalNote = $"{goalNote}; {FloorNote(rows, row, goal, cpython, context.Runs)}";
                }
                row.Note = row.Note.Length == 0 ? goalNote : $"{goalNote}; {row.Note}";
            }
        }
    }

    /// <summary>The floor clause of a server-CPU goal row: from the echo server's row of the same case, or why there is none.</summary>
    private string FloorNote(IList<ResultRow> rows, ResultRow row, double goal, string cpython, int runs)
    {
        var echo = rows.FirstOrDefault(r => r.Case == row.Case && r.Implementation == EchoFloor.Name);
        var baseline = rows.FirstOrDefault(r => r.Case == row.Case && r.Implementation == cpython);
        var note = echo is null || baseline is null
            ? null
            : ReachableBound.FloorNote(goal, echo.Ratio, row.Ratio, baseline.MedianNs, echo.MedianNs, cpython, CSharpImpl, EchoFloor.SourceName, runs);
        return note ?? $"a server doing nothing ({EchoFloor.SourceName}): not measured in {(runs > 1 ? "these runs" : "this run")} ({_floorSkipped ?? $"no {EchoFloor.Name} row with a ratio for this case"})";
    }

    /// <summary>The reachable bound of a goal row (throughput "case, N clients" or "case, N clients: server CPU per call").</summary>
    private static string? BoundNote(IList<ResultRow> rows, ResultRow row, double goal, string cpython)
    {
        const string CpuRow = ": server CPU per call";
        var name = row.Case.EndsWith(CpuRow, StringComparison.Ordinal) ? row.Case[..^CpuRow.Length] : row.Case;
        double Median(string suffix, string impl) => rows.FirstOrDefault(r => r.Case == name + suffix && r.Implementation == impl)?.MedianNs ?? 0;
        var kernel = Median(": server kernel CPU per call", CSharpImpl);
        if (row.Case != name)
        {
            return ReachableBound.CpuNote(goal, row.Ratio, row.MedianNs, kernel, Median(CpuRow, cpython), CSharpImpl, cpython);
        }

        var comma = name.LastIndexOf(", ", StringComparison.Ordinal);
        var clients = int.Parse(name[(comma + 2)..].Split(' ')[0], CultureInfo.InvariantCulture);
        return ReachableBound.ThroughputNote(
            goal, Environment.ProcessorCount, clients, row.Ratio, row.MedianNs, Median(": client CPU per call", CSharpImpl), kernel,
            Median(": client CPU per call", cpython), Median(CpuRow, cpython), CSharpImpl);
    }

    /// <summary>
    /// The goals of issue 16, as a ratio over CPython's server (CPU: CPython's CPU / ours, so ⅓ of its CPU is 3×):
    /// server CPU per call ≤ ⅓ for dict, list, Queue and Lock at 1, 2, 4 clients; aggregate throughput ≥ 2× for
    /// dict, list and Queue and ≥ 1.5× for Lock at 2 and 4 clients. 0: no goal.
    /// </summary>
    private static double Goal(string @case)
    {
        var prefix = s_goalCases.FirstOrDefault(p => @case.StartsWith(p, StringComparison.Ordinal));
        var isLock = prefix == "Lock";
        var core = prefix is not null && !isLock;
        if (@case.EndsWith(": server CPU per call", StringComparison.Ordinal))
        {
            return core || isLock ? 3 : 0;
        }

        if (@case.Contains(':', StringComparison.Ordinal) || !@case.Contains(" clients", StringComparison.Ordinal))
        {
            return 0;
        }

        return core ? 2 : isLock ? 1.5 : 0;
    }

    /// <summary>Starts <c>multiprocess serve</c> on <paramref name="address"/> and waits for its READY line (its connection log lines on stderr: drained).</summary>
    private static ServerProcess StartServe(string address) =>
        ServerProcess.Start(EngineCommands.Cli, ["serve", "--address", address, "--authkey-hex", Convert.ToHexString(Key)]);

    private static IEnumerable<ResultRow> Rows(IEnumerable<(string Case, string Impl, Stats Stats)> lines, string baseline) =>
        lines.Select(l =>
        {
            var row = ResultRow.From("manager-server", l.Case, l.Impl, l.Stats);
            // The kernel / user split of a server's CPU is a part of a comparison, not one: no baseline, so the
            // report's ratio charts (and their summary) leave it out; the CSV keeps the script's paired ratio. The
            // echo floor neither: it is no implementation to compare; its ratio is CPython's CPU over its own.
            row.Baseline = IsSplit(l.Case) || l.Impl == EchoFloor.Name ? "" : baseline;
            row.Ratio = l.Stats.Ratio;          // paired by round when the script paired the servers; else 0: FillRatios
            row.Note = l.Stats.Note ?? "";
            return row;
        });

    /// <summary>Whether a row is the kernel or user part of a server's CPU per call.</summary>
    internal static bool IsSplit(string @case) =>
        @case.EndsWith(": server kernel CPU per call", StringComparison.Ordinal) || @case.EndsWith(": server user CPU per call", StringComparison.Ordinal);

    /// <summary>Server start: in-process (construct + Start, warm) and the command line (process launch to READY).</summary>
    private static IEnumerable<ResultRow> StartTimes(BenchContext context, string cpython)
    {
        var samples = context.Samples(5);
        var inProcess = Sampler.Measure(
            () =>
            {
                using var s = new SyncManagerServer($"@bench-start-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
                s.Start();
            },
            1,
            samples);
        yield return WithBaseline(ResultRow.From("manager-server", "server start", CSharpImpl + " (in-process)", inProcess), cpython);

        var times = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var sw = Stopwatch.StartNew();
            using var p = StartServe($"@bench-cli-{Environment.ProcessId}-{i}");
            times.Add(sw.Elapsed.TotalNanoseconds);
        }

        yield return WithBaseline(ResultRow.From("manager-server", "server start", CSharpImpl + " (multiprocess serve, to READY)", Stats.FromSamples(times, 1)), cpython);
    }

    private static ResultRow WithBaseline(ResultRow row, string baseline)
    {
        row.Baseline = baseline;
        return row;
    }
}
