using System.Diagnostics;
using System.Globalization;
using Multiprocess.Benchmarks.Harness;

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
        var cli = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Multiprocess.Cli", "bin", "Release", "net10.0", "multiprocess"));
        if (!File.Exists(cli))
        {
            throw new FileNotFoundException($"manager-xmlrpc measures `multiprocess serve`; build it first (dotnet build -c Release): {cli} is missing", cli);
        }

        var path = Path.Combine(Path.GetTempPath(), $"bench-xmlrpc-{Environment.ProcessId}.sock");
        var psi = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "serve", "--address", path, "--authkey-hex", Convert.ToHexString(Key), "--no-python" })
        {
            psi.ArgumentList.Add(a);
        }

        using (var serve = Process.Start(psi)!)
        {
            serve.ErrorDataReceived += (_, _) => { }; // connection log lines: drained, not kept
            serve.BeginErrorReadLine();
            try
            {
                var line = serve.StandardOutput.ReadLine();
                if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"multiprocess serve --address {path} did not start: {line}");
                }

                rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py",
                    ["--impl", CSharpImpl, "--address", path, "--authkey", Convert.ToHexString(Key), "--server-pid", serve.Id.ToString(CultureInfo.InvariantCulture), .. common],
                    timeout), cpython));
            }
            finally
            {
                serve.Kill();
                serve.WaitForExit();
            }
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
