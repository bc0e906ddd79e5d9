using System.Diagnostics;
using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Managers.Server;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>manager-server</c>: the same stock CPython clients (python/bench_manager_server.py) against the C# SyncManager
/// server and against CPython's own, in one run: aggregate ops/s with 1, 2 and 4 client processes for dict
/// set/get, list append, Queue put/get, Lock acquire/release and proxy creation; each client's CPU per call; server
/// start time; and proxy creation over TCP with and without TCP_QUICKACK.
/// </summary>
public sealed class ManagerServerSuite : IBenchmarkSuite
{
    private const string CSharpImpl = "C# server";
    private static readonly byte[] Key = "bench key"u8.ToArray();

    /// <inheritdoc/>
    public string Name => "manager-server";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cpython = $"CPython {context.PythonVersion} server";
        var rows = new List<ResultRow>();
        var timeout = TimeSpan.FromMinutes(context.Smoke ? 3 : 20);

        // C# server, in this process (AF_UNIX, as a Python manager's default address).
        var unixPath = Path.Combine(Path.GetTempPath(), $"bench-mgr-{Environment.ProcessId}.sock");
        using (var server = new SyncManagerServer(unixPath, Key))
        {
            server.Start();
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py",
                ["--impl", CSharpImpl, "--address", server.Address, "--authkey", Convert.ToHexString(Key)], timeout), cpython));
        }

        rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py", ["--impl", cpython, "--cpython"], timeout), cpython));

        // Proxy creation over TCP: the client's Nagle algorithm meets the server's delayed ACK unless the server acks at once.
        foreach (var quickAck in new[] { true, false })
        {
            using var tcp = new SyncManagerServer("127.0.0.1:0", Key, new SyncManagerServerOptions { TcpQuickAck = quickAck });
            tcp.Start();
            rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py",
                ["--impl", quickAck ? CSharpImpl : CSharpImpl + ", no TCP_QUICKACK", "--address", tcp.Address, "--authkey", Convert.ToHexString(Key), "--tcp-only"],
                timeout), cpython));
        }

        rows.AddRange(Rows(PythonPeer.Run(context, "bench_manager_server.py", ["--impl", cpython, "--cpython", "--tcp", "--tcp-only"], timeout), cpython));
        rows.AddRange(StartTimes(context, cpython));
        foreach (var row in rows.Where(r => r.Implementation != cpython && r.Case.Contains(" clients", StringComparison.Ordinal) && !r.Case.Contains("CPU", StringComparison.Ordinal)))
        {
            row.Note = "goal: 2x CPython's aggregate ops/s at 2 and 4 clients";
        }

        return rows;
    }

    private static IEnumerable<ResultRow> Rows(IEnumerable<(string Case, string Impl, Stats Stats)> lines, string baseline) =>
        lines.Select(l =>
        {
            var row = ResultRow.From("manager-server", l.Case, l.Impl, l.Stats);
            row.Baseline = baseline;
            return row;
        });

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

        var cli = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Multiprocess.Cli", "bin", "Release", "net10.0", "multiprocess");
        if (!File.Exists(cli))
        {
            yield break;
        }

        var times = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var psi = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "serve", "--address", $"@bench-cli-{Environment.ProcessId}-{i}", "--authkey-hex", Convert.ToHexString(Key) })
            {
                psi.ArgumentList.Add(a);
            }

            var sw = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            var line = p.StandardOutput.ReadLine();
            times.Add(sw.Elapsed.TotalNanoseconds);
            p.Kill();
            p.WaitForExit();
            if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"multiprocess serve did not start: {line}");
            }
        }

        yield return WithBaseline(ResultRow.From("manager-server", "server start", CSharpImpl + " (multiprocess serve, to READY)", Stats.FromSamples(times, 1)), cpython);
    }

    private static ResultRow WithBaseline(ResultRow row, string baseline)
    {
        row.Baseline = baseline;
        return row;
    }
}
