using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>manager-xmlrpc</c>: the same stock CPython clients with <c>serializer='xmlrpclib'</c>
/// (python/bench_manager_server.py --serializer xmlrpclib) against the C# SyncManager server (<c>multiprocess serve</c>,
/// which answers each connection in the serializer of its first request, docs/xmlrpc.md) and against CPython's own
/// server started with the same serializer, in one run: aggregate calls/s with 1 and 2 client processes for dict
/// set/get, list append, Queue put/get, Lock and proxy creation, the server process's CPU per call, and latencies.
/// </summary>
public sealed class ManagerXmlRpcSuite : IBenchmarkSuite
{
    private const string CSharpImpl = "C# server";
    private const string Cases = "dict set/get,list append,Queue put/get,Lock acquire/release,proxy creation m.dict()";
    private static readonly byte[] Key = "bench key"u8.ToArray();

    /// <inheritdoc/>
    public string Name => "manager-xmlrpc";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cpython = $"CPython {context.PythonVersion} server";
        var loadBefore = MachineLoad.Now();
        var rows = new List<ResultRow>();
        var timeout = TimeSpan.FromMinutes(context.Smoke ? 3 : 20);
        string[] common = ["--serializer", "xmlrpclib", "--clients", "1,2", "--cases", Cases];
        var path = Path.Combine(Path.GetTempPath(), $"bench-xmlrpc-{Environment.ProcessId}.sock");
        using (var serve = ServerProcess.Start(EngineCommands.Cli, ["serve", "--address", path, "--authkey-hex", Convert.ToHexString(Key), "--no-python"]))
        {
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py",
                ["--impl", CSharpImpl, "--address", path, "--authkey", Convert.ToHexString(Key), "--server-pid", serve.Pid.ToString(CultureInfo.InvariantCulture), .. common],
                timeout), cpython));
        }

        rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py", ["--impl", cpython, "--cpython", .. common], timeout), cpython));
        ResultsWriter.FillRatios(rows);
        var load = MachineLoad.Around(loadBefore);
        foreach (var row in rows)
        {
            row.Note = load;
        }

        return rows;
    }

    private static IEnumerable<ResultRow> Rows(IEnumerable<(string Case, string Impl, Stats Stats)> lines, string baseline) =>
        lines.Select(l =>
        {
            var row = ResultRow.From("manager-xmlrpc", l.Case, l.Impl, l.Stats);
            row.Baseline = baseline;
            return row;
        });
}
