using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>connection</c>: <c>multiprocessing.connection</c> between two processes over an AF_UNIX Listener, the same
/// message pattern for every pairing (driver ↔ peer): 100-byte round trips, one-way 1 MiB and 64 MiB messages into
/// a <c>sink N</c> session, and authenticated connects (ConnectionSuite.Connects.cs). The peer is <c>multiprocess echo connect</c>
/// (C#) or python/bench_connection.py <c>peer</c> (CPython); the CPython driver is bench_connection.py
/// <c>drive</c>. Baseline: CPython ↔ CPython. Implementation labels read "driver↔peer" (client→server for connects).
/// <c>--cases connect+auth</c> runs only the connects (seconds), <c>--cases messages</c> only the message patterns.
/// </summary>
public sealed partial class ConnectionSuite : IBenchmarkSuite
{
    // Keep in step with python/bench_connection.py.
    private const int PingSize = 100;
    private const int PingOps = 20_000;
    private const int PingSamples = 7;
    private const int Mib1Ops = 256;
    private const int Mib1Samples = 5;
    private const int Mib64Ops = 4;
    private const int Mib64Samples = 5;

    private static readonly TimeSpan s_peerTimeout = TimeSpan.FromMinutes(5);

    private const string ConnectCases = "connect+auth";
    private const string MessageCases = "messages";

    /// <inheritdoc/>
    public string Name => "connection";

    /// <inheritdoc/>
    public IReadOnlyList<string> CaseGroups => [ConnectCases, MessageCases];

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cli = FindCli();
        var py = "CPython " + context.PythonVersion;
        var script = Path.Combine(context.ScriptDirectory, "bench_connection.py");
        string[] csPeer = [cli, "echo", "connect"];
        string[] pyPeer = [context.Python, script, "peer"];
        var baseline = $"{py}↔{py}";

        var rows = new List<ResultRow>();
        if (context.Cases is null or MessageCases)
        {
            rows.AddRange(DriveFromCSharp(context, "C#↔C#", csPeer, spin: true));
            rows.AddRange(DriveFromCSharp(context, "C#↔C# (spin off)", csPeer, spin: false));
            rows.AddRange(DriveFromCSharp(context, $"C#↔{py}", pyPeer, spin: true));
            rows.AddRange(DriveFromPython(context, $"{py}↔C#", csPeer));
            rows.AddRange(DriveFromPython(context, baseline, pyPeer));
        }

        if (context.Cases is null or ConnectCases)
        {
            rows.AddRange(ConnectRates(context, cli, py));
        }

        foreach (var row in rows)
        {
            row.Baseline = baseline;
        }

        ResultsWriter.FillRatios(rows);
        foreach (var row in rows)
        {
            // Issue 16's handshake goals: C#↔C# connect+auth ≥ 2×, and the C# server accepting CPython clients ≥ 1×.
            var goal = (row.Implementation, row.Case) switch
            {
                ("C#↔C#", "round trip 100 B") => 2.0,
                ("C#↔C#", "connect+auth") => 2.0,
                ("C#↔C#", "one-way 64 MiB") => 1.5,
                (var impl, "connect+auth") when impl == $"{py}↔C#" => 1.0,
                _ => 0,
            };
            if (goal > 0)
            {
                var verdict = string.Create(CultureInfo.InvariantCulture, $"goal ≥{goal:F1}× {baseline}: {(row.Ratio >= goal ? "met" : "not met")} ({row.Ratio:F2}×)");
                row.Note = row.Note.Length == 0 ? verdict : $"{verdict}; {row.Note}";
            }
        }

        return rows;
    }

    private static IEnumerable<ResultRow> DriveFromCSharp(BenchContext context, string impl, string[] peer, bool spin)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var listener = new Listener(ConnectionAddress.Arbitrary(ConnectionFamily.Unix), authKey: key);
        var psi = new ProcessStartInfo(peer[0]) { UseShellExecute = false };
        foreach (var a in peer.Skip(1).Append(listener.Address.ToString()).Append("--authkey-hex").Append(Convert.ToHexString(key)))
        {
            psi.ArgumentList.Add(a);
        }

        if (!spin)
        {
            psi.Environment["MULTIPROCESS_SPIN_US"] = "0";
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {peer[0]}");
        var rows = new List<ResultRow>();
        try
        {
            using var c = listener.Accept(TimeSpan.FromSeconds(30));
            if (!spin)
            {
                c.SpinDuration = TimeSpan.Zero;
            }

            foreach (var (label, size, ops, samples) in new[] { ("one-way 1 MiB", 1 << 20, Mib1Ops, Mib1Samples), ("one-way 64 MiB", 64 << 20, Mib64Ops, Mib64Samples) })
            {
                var payload = RandomNumberGenerator.GetBytes(size);
                var stats = Sampler.Measure(n => OneWay(c, payload, n), context.Ops(ops), context.Samples(samples));
                rows.Add(ResultRow.From("connection", label, impl, stats, size));
            }

            var message = RandomNumberGenerator.GetBytes(PingSize);
            c.SendBytes("echo"u8);
            var ping = Sampler.Measure(
                n =>
                {
                    for (long i = 0; i < n; i++)
                    {
                        c.SendBytes(message);
                        c.RecvBytes();
                    }
                },
                context.Ops(PingOps),
                context.Samples(PingSamples));
            rows.Add(ResultRow.From("connection", "round trip 100 B", impl, ping));
            c.SendBytes([]);
        }
        finally
        {
            if (!process.WaitForExit(s_peerTimeout))
            {
                process.Kill();
            }
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"peer {string.Join(' ', peer)} exited {process.ExitCode}");
        }

        return rows;
    }

    private static void OneWay(MpConnection c, byte[] payload, long n)
    {
        c.SendBytes(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"sink {n}")));
        for (long i = 0; i < n; i++)
        {
            c.SendBytes(payload);
        }

        var reply = Encoding.ASCII.GetString(c.RecvBytes());
        var expected = string.Create(CultureInfo.InvariantCulture, $"ok {n * payload.Length}");
        if (reply != expected)
        {
            throw new InvalidOperationException($"sink replied '{reply}', expected '{expected}'");
        }
    }

    private static IEnumerable<ResultRow> DriveFromPython(BenchContext context, string impl, string[] peer) =>
        PythonPeer.Run(context, "bench_connection.py", ["drive", "--impl", impl, "--peer", .. peer], s_peerTimeout)
            .Select(r => ResultRow.From("connection", r.Case, r.Impl, r.Stats, BytesOf(r.Case)));

    private static long BytesOf(string @case) => @case switch
    {
        "one-way 1 MiB" => 1 << 20,
        "one-way 64 MiB" => 64 << 20,
        _ => 0,
    };

    /// <summary>
    /// Starts a server and waits for its READY line. Its stderr goes to the console, not through this process, whose
    /// CPU time is the C# client's per connect; with stdin (the CPython <c>Listener</c>) the stop closes it first.
    /// </summary>
    private static ServerProcess StartServer(string exe, string[] args, bool redirectStdin) =>
        ServerProcess.Start(exe, args, new ServerProcessOptions
        {
            CaptureStandardError = false,
            RedirectStandardInput = redirectStdin,
            ExitGrace = redirectStdin ? TimeSpan.FromSeconds(10) : TimeSpan.Zero,
        });

    private static string FindCli()
    {
        var explicitPath = Environment.GetEnvironmentVariable("MULTIPROCESS_CLI");
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiprocess.sln")))
        {
            dir = dir.Parent;
        }

        var cli = Path.Combine(dir?.FullName ?? ".", "dotnet", "src", "Multiprocess.Cli", "bin", "Release", "net10.0", "multiprocess");
        return File.Exists(cli)
            ? cli
            : throw new InvalidOperationException($"the multiprocess command is not built at {cli}: dotnet build Multiprocess.sln -c Release");
    }
}
