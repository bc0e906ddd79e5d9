using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>manager-pyhost</c>: a manager's Pool and a Python-backed referent (docs/python-host.md) with the same stock
/// CPython client (python/bench_manager_pyhost.py) against the C# server, which serves the Pool itself with CPython
/// workers (the client's interpreter) and runs a registered Python class in its Python host, and against CPython's
/// own server, in one run: <c>manager.Pool().map</c> of 1000 and 10 items, <c>Pool.apply</c>,
/// <c>AsyncResult.ready()</c>, and one call on a Python-backed referent (<c>Tally.add()</c>); each also as the
/// server side's CPU time per call (server, host, forkserver and Pool workers). Both servers are warmed up first (the C#
/// server's JIT), so the figures are a long-running server's; the goal (issue 13) is no slower than CPython's server.
/// </summary>
public sealed class ManagerHostSuite : IBenchmarkSuite
{
    private const string CSharpImpl = "C# server";
    private static readonly byte[] Key = "bench key"u8.ToArray();

    /// <inheritdoc/>
    public string Name => "manager-pyhost";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cpython = $"CPython {context.PythonVersion} server";
        var timeout = TimeSpan.FromMinutes(context.Smoke ? 3 : 15);
        var rows = new List<ResultRow>();
        var loadBefore = MachineLoad.Now();
        // The host imports the registered class from the benchmark's scripts; the stop kills it with serve.
        var address = Path.Combine(Path.GetTempPath(), $"bench-pyhost-{Environment.ProcessId}.sock");
        using (var serve = ServerProcess.Start(
                   EngineCommands.Cli,
                   ["serve", "--address", address, "--authkey-hex", Convert.ToHexString(Key), "--python", context.Python, "--register", "Tally=bench_manager_pyhost:Tally"],
                   new ServerProcessOptions { ReadyTimeout = TimeSpan.FromSeconds(60), KillDescendants = true, Environment = new Dictionary<string, string> { ["PYTHONPATH"] = context.ScriptDirectory } }))
        {
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_pyhost.py",
                ["--impl", CSharpImpl, "--address", serve.ReadyLine[6..].Trim(), "--authkey", Convert.ToHexString(Key), "--server-pid", serve.Pid.ToString(CultureInfo.InvariantCulture)],
                timeout), cpython));
        }

        rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_pyhost.py", ["--impl", cpython, "--cpython"], timeout), cpython));
        ResultsWriter.FillRatios(rows);
        foreach (var row in rows.Where(r => r.Implementation == CSharpImpl))
        {
            row.Note = string.Create(CultureInfo.InvariantCulture, $"goal ≥1.0× {cpython}: {(row.Ratio >= 1 ? "met" : "not met")} ({row.Ratio:F2}×); {MachineLoad.Around(loadBefore)}");
        }

        return rows;
    }

    private static IEnumerable<ResultRow> Rows(IEnumerable<(string Case, string Impl, Stats Stats)> lines, string baseline) =>
        lines.Select(l =>
        {
            var row = ResultRow.From("manager-pyhost", l.Case, l.Impl, l.Stats);
            row.Baseline = baseline;
            return row;
        });
}
