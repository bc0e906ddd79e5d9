using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>shim</c>: one Python program (python/bench_shim.py) with CPython's <c>multiprocessing.Manager()</c> (a server
/// process) and with <c>multiprocess_dotnet.Manager()</c> (the same stock proxies, the server on .NET threads) in both
/// server modes (a server process of its own under fork, in the program's process under spawn), side by side:
/// aggregate ops/s of 1, 2 and 4 spawned workers doing dict set/get and Queue put/get (rounds interleaved), with and
/// without the workers' spawn and join; Manager() start and shutdown, first in a fresh process (under fork and under
/// spawn, each against the stdlib under the same start method) and warm; import; the 4-line program (start, one dict
/// set/get, shutdown) as a whole process, wall time and peak RSS. <c>--cases steady</c> runs the throughput cases
/// alone (the three managers are started, their start is not timed) and replaces only their rows. The throughput
/// rows' notes say what the machine allows (<see cref="Annotate"/>), every row's note the machine's load around the
/// run (<see cref="MachineLoad"/>, added by the harness).
/// </summary>
/// <remarks>The shim is the source tree's <c>python/multiprocess_dotnet</c>, put on the script's path; its engine
/// must have been published into <c>python/multiprocess_dotnet/_engine</c> by <c>bash wheels/build.sh</c> (or be
/// where <c>MULTIPROCESS_DOTNET_ENGINE</c> points).</remarks>
public sealed class ShimSuite : IBenchmarkSuite
{
    private const string ShimImpl = "multiprocess_dotnet.Manager(), server process (fork)";
    private const string ShimInprocessImpl = "multiprocess_dotnet.Manager(), in-process server (spawn)";
    private const string EngineVariable = "MULTIPROCESS_DOTNET_ENGINE";
    private const string ThroughputCase = "dict set/get + Queue put/get, ";
    private const string StartGoal = "goal: faster start than the stdlib";
    private const string ProgramGoal = "goal: wall time <= the stdlib's";
    private const string ImportGoal = "goal: import <= the stdlib's + 5 ms";
    private const string SteadyCases = "steady";

    /// <inheritdoc/>
    public string Name => "shim";

    /// <inheritdoc/>
    public IReadOnlyList<string> CaseGroups => [SteadyCases];

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var stdlib = $"CPython {context.PythonVersion} multiprocessing.Manager()";
        var stdlibSpawn = $"CPython {context.PythonVersion} spawn-context Manager()";
        var shimPath = ShimPath();
        string[] args =
        [
            "--shim-path", shimPath,
            "--stdlib-impl", stdlib,
            "--stdlib-spawn-impl", stdlibSpawn,
            "--shim-impl", ShimImpl,
            "--shim-inprocess-impl", ShimInprocessImpl,
            "--workers", "1,2,4",
            "--iterations", "2000",
            "--rounds", "7",
            "--start-samples", "9",
            .. context.Cases == SteadyCases ? ["--steady-only"] : Array.Empty<string>(),
        ];

        // The load around the run is the harness's to note (Program), once per run or per --runs set.
        return PythonPeer.Run(context, "bench_shim.py", args, TimeSpan.FromMinutes(context.Smoke ? 5 : 15))
            .Select(l =>
            {
                var row = ResultRow.From(Name, l.Case, l.Impl, l.Stats);
                row.Baseline = ManagerServerSuite.IsSplit(l.Case) ? "" // a part of the CPU, left out of the ratio charts
                    : IsFresh(l.Case) && (l.Impl == stdlibSpawn || l.Impl == ShimInprocessImpl) ? stdlibSpawn : stdlib;
                row.Note = l.Stats.Note ?? string.Empty;
                return row;
            })
            .ToList();
    }

    /// <summary>
    /// Each goal row's verdict; for the steady-state throughput rows also the ratio this machine allows any blocking
    /// server (<see cref="ReachableBound"/>): min(cores, workers) / (client + the shim server's kernel CPU per call)
    /// against the stdlib's measured ops/s.
    /// </summary>
    /// <inheritdoc/>
    public void Annotate(IList<ResultRow> rows, BenchContext context)
    {
        foreach (var row in rows.Where(r => r.Implementation is ShimImpl or ShimInprocessImpl))
        {
            var goal = Goal(row.Case);
            if (goal is null)
            {
                continue;
            }

            var baseline = rows.FirstOrDefault(r => r.Case == row.Case && r.Implementation == row.Baseline);
            // The row's own ratio: after --runs N the median of the runs' ratios, the figure its Ratio column shows
            // (the ratio of the medians across runs can differ from it).
            var ratio = baseline is null ? 0 : row.Ratio > 0 ? row.Ratio : baseline.MedianNs / row.MedianNs;
            var verdict = baseline is null
                ? goal
                : string.Create(CultureInfo.InvariantCulture, $"{goal}: {ratio:F2}x, {(Met(goal, baseline, row, ratio) ? "met" : "not met")}");
            if (baseline is not null && row.Case.StartsWith(ThroughputCase, StringComparison.Ordinal))
            {
                double Median(string suffix, string impl) => rows.FirstOrDefault(r => r.Case == row.Case + suffix && r.Implementation == impl)?.MedianNs ?? 0;
                var workers = int.Parse(row.Case[ThroughputCase.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
                var bound = ReachableBound.ThroughputNote(
                    ThroughputRatio(row.Case), Environment.ProcessorCount, workers, ratio, row.MedianNs,
                    Median(": client CPU per call", row.Implementation), Median(": server kernel CPU per call", row.Implementation),
                    Median(": client CPU per call", baseline.Implementation), Median(": server CPU per call", baseline.Implementation), "shim server");
                verdict = $"{verdict}; {bound ?? "reachable here: not computed (no kernel CPU row: too few calls for /proc's ticks)"}";
            }

            row.Note = row.Note.Length == 0 ? verdict : $"{verdict}; {row.Note}";
        }
    }

    /// <summary>The goal a shim row is held to, if any: throughput (operations alone), the 4-line program, import and start.</summary>
    private static string? Goal(string @case)
    {
        if (@case.Contains("incl. spawn", StringComparison.Ordinal) || @case.EndsWith(" per call", StringComparison.Ordinal))
        {
            return null;
        }

        if (@case.StartsWith(ThroughputCase, StringComparison.Ordinal))
        {
            return string.Create(CultureInfo.InvariantCulture, $"goal (issue 12): {ThroughputRatio(@case):F2}x the stdlib's ops/s");
        }

        if (@case.StartsWith("4-line program", StringComparison.Ordinal))
        {
            return ProgramGoal;
        }

        if (@case.StartsWith("import, ", StringComparison.Ordinal))
        {
            return ImportGoal;
        }

        return @case.StartsWith("Manager() start", StringComparison.Ordinal) ? StartGoal : null;
    }

    /// <summary>
    /// Issue 12's steady-state ratios (1.45x / 3.3x / 2.9x at 1 / 2 / 4 workers). On 2 cores the ratio stops near
    /// cores / (client + server CPU per call) against the stdlib's ops/s, which the row's note states.
    /// </summary>
    private static double ThroughputRatio(string @case) =>
        @case.Contains(" 1 spawned worker", StringComparison.Ordinal) ? 1.45
        : @case.Contains(" 2 spawned workers", StringComparison.Ordinal) ? 3.3
        : 2.9;

    private static bool Met(string goal, ResultRow baseline, ResultRow row, double ratio) =>
        row.Case.StartsWith(ThroughputCase, StringComparison.Ordinal)
            ? ratio >= ThroughputRatio(row.Case)
            : goal switch
        {
            ProgramGoal => ratio >= 1,
            ImportGoal => row.MedianNs <= baseline.MedianNs + 5e6,   // an allowance in ns, not a ratio
            _ => ratio > 1,
        };

    /// <summary>Whether a case runs in fresh processes under a start method of its own (its baseline: the stdlib under the same one).</summary>
    private static bool IsFresh(string @case) =>
        @case.Contains("fresh process", StringComparison.Ordinal) || @case.StartsWith("4-line program", StringComparison.Ordinal);

    /// <summary>The folder holding the source tree's multiprocess_dotnet package, once its engine is published.</summary>
    /// <exception cref="InvalidOperationException">The engine is not published.</exception>
    private static string ShimPath()
    {
        var python = Path.Combine(EngineCommands.RepoRoot, "python");
        var engine = Environment.GetEnvironmentVariable(EngineVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(python, "multiprocess_dotnet", "_engine");
        var interop = Path.Combine(engine, "Multiprocess.Interop.so");
        if (!File.Exists(Path.Combine(python, "multiprocess_dotnet", "__init__.py")) || !File.Exists(interop))
        {
            throw new InvalidOperationException(
                $"the multiprocess_dotnet engine is not published: {interop} is missing; run `bash wheels/build.sh` in {EngineCommands.RepoRoot} first");
        }

        return python;
    }
}
