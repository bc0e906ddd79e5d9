using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Connection;
using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>manager-connections</c>: many open proxy connections on one manager server, the C# one (<c>multiprocess
/// serve</c>) and CPython's, in one run. A C# load generator (the engine's own manager client) opens 100, 1,000
/// and 10,000 proxy connections (asynchronous calls on many clients, each leaving its pooled connection open and
/// idle); at each count the server's resident memory and thread count are read from /proc, and one more client
/// calls a dict proxy (set, get) and reports its p50 and p99 call latency, and 20 fresh clients each connect, create a
/// dict and call it once (the issue's goal: within 50 ms beside 10,000 idle connections). CPython's server, a thread per
/// connection, is measured at the counts it survives.
/// </summary>
public sealed class ManagerConnectionsSuite : IBenchmarkSuite
{
    private const string CSharpImpl = "C# server";

    /// <summary>How many connections one client opens at once (below the server's handshake limit of 64).</summary>
    private const int Wave = 50;

    private static readonly byte[] Key = "bench key"u8.ToArray();

    /// <inheritdoc/>
    public string Name => "manager-connections";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        int[] counts = context.Smoke ? [10, 100] : [100, 1_000, 10_000];
        RaiseFileLimit(counts[^1] + 2_000); // each side holds one fd per connection, plus its own
        var cpython = $"CPython {context.PythonVersion} server";
        var rows = new List<ResultRow>();

        var path = Path.Combine(Path.GetTempPath(), $"bench-conns-{Environment.ProcessId}.sock");
        using (var serve = ServerProcess.Start(EngineCommands.Cli, ["serve", "--address", path, "--authkey-hex", Convert.ToHexString(Key),
                   "--max-connections", (counts[^1] + 1_000).ToString(CultureInfo.InvariantCulture)]))
        {
            rows.AddRange(Measure(ConnectionAddress.Parse(path), serve.Pid, counts, CSharpImpl, cpython));
        }

        // CPython's server prints "READY ADDRESS PID" and ends when its stdin closes (30 s, then killed with its children).
        using (var py = PythonPeer.StartServer(context, "bench_manager_connections.py", ["--authkey", Convert.ToHexString(Key)],
                   new ServerProcessOptions { ReadyTimeout = TimeSpan.FromSeconds(60), RedirectStandardInput = true, ExitGrace = TimeSpan.FromSeconds(30), KillDescendants = true }))
        {
            var ready = py.ReadyLine.Split(' ');
            if (ready.Length != 3)
            {
                throw new InvalidOperationException($"{py.Command} printed '{py.ReadyLine}', not 'READY ADDRESS PID'");
            }

            rows.AddRange(Measure(ConnectionAddress.Parse(ready[1]), int.Parse(ready[2], CultureInfo.InvariantCulture), counts, cpython, cpython));
        }

        return rows;
    }

    private static IEnumerable<ResultRow> Measure(ConnectionAddress address, int serverPid, int[] counts, string impl, string baseline)
    {
        var rows = new List<ResultRow>();
        var clients = new List<SyncManager>();
        using var active = new SyncManager(address, Key);
        active.Connect();
        var probe = active.Dict();
        var open = 0;
        try
        {
            foreach (var count in counts)
            {
                string? failure = null;
                var sw = Stopwatch.StartNew();
                try
                {
                    while (open < count)
                    {
                        var m = new SyncManager(address, Key);
                        clients.Add(m);
                        m.Connect();
                        var d = m.Dict();
                        var n = Math.Min(Wave, count - open);
                        Task.WhenAll(Enumerable.Range(0, n).Select(_ => d.CallMethodAsync("__len__").AsTask())).GetAwaiter().GetResult();
                        open += n;
                    }
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or AggregateException or EndOfStreamException)
                {
                    failure = $"failed after {open} connections: {e.GetType().Name}: {e.Message}";
                }

                var opened = sw.Elapsed;
                Thread.Sleep(1_000); // let busy threads park (C#) and the counts settle
                var (rss, threads) = ServerStatus(serverPid);
                var latencies = failure is null ? Latencies(probe, 2_000) : [];
                var label = $"{count} open connections";
                var note = string.Create(CultureInfo.InvariantCulture,
                    $"server RSS {rss / 1048576.0:F1} MiB, {threads} threads; opened in {opened.TotalSeconds:F1} s{(failure is null ? "" : "; " + failure)}");
                if (impl == CSharpImpl && count == 10_000)
                {
                    var p99 = latencies.Length > 0 ? latencies[(int)(latencies.Length * 0.99)] : double.NaN;
                    note += string.Create(CultureInfo.InvariantCulture,
                        $"; goal ≤ 64 threads, ≤ 512 MiB, p99 < 1 ms: {(threads <= 64 && rss <= 512L << 20 && p99 < 1e6 ? "met" : "not met")}");
                }

                if (latencies.Length > 0)
                {
                    rows.Add(Row($"{label}: active client's latency p50", impl, baseline, latencies[latencies.Length / 2], latencies.Length, note));
                    rows.Add(Row($"{label}: active client's latency p99", impl, baseline, latencies[(int)(latencies.Length * 0.99)], latencies.Length, note));
                    var fresh = FreshClients(address, 20);
                    var freshNote = note;
                    if (impl == CSharpImpl && count == 10_000)
                    {
                        freshNote += string.Create(CultureInfo.InvariantCulture,
                            $"; goal: a fresh client's call within 50 ms (slowest of {fresh.Length}: {fresh[^1] / 1e6:F1} ms): {(fresh[^1] < 50e6 ? "met" : "not met")}");
                    }

                    rows.Add(Row($"{label}: fresh client's connect, create and first call, median", impl, baseline, fresh[fresh.Length / 2], fresh.Length, freshNote));
                    rows.Add(Row($"{label}: fresh client's connect, create and first call, slowest", impl, baseline, fresh[^1], fresh.Length, freshNote));
                }
                else
                {
                    rows.Add(Row($"{label}: active client's latency p50", impl, baseline, double.NaN, 0, note));
                }

                Console.WriteLine($"  {impl}: {label}: {note}");
                if (failure is not null)
                {
                    break;
                }
            }
        }
        finally
        {
            foreach (var m in clients)
            {
                try
                {
                    m.Dispose();
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                }
            }
        }

        return rows;
    }

    /// <summary>
    /// What a new process pays before its first answer (ns each, sorted): connect and handshake, create a dict
    /// (a one-shot connection), then its first call on a proxy connection of its own.
    /// </summary>
    private static double[] FreshClients(ConnectionAddress address, int clients)
    {
        var times = new double[clients];
        for (var i = 0; i < clients; i++)
        {
            var t = Stopwatch.GetTimestamp();
            using var m = new SyncManager(address, Key);
            m.Connect();
            var d = m.Dict();
            d.CallMethod("__setitem__", PyTuple.Create(1L, 2L));
            times[i] = Stopwatch.GetElapsedTime(t).TotalNanoseconds;
        }

        Array.Sort(times);
        return times;
    }

    /// <summary>Round trips of dict set and get (ns each), sorted.</summary>
    private static double[] Latencies(DictProxy d, int calls)
    {
        var times = new double[calls];
        var key = PyTuple.Create(1L, 2L);
        for (var i = 0; i < calls; i++)
        {
            var t = Stopwatch.GetTimestamp();
            d.CallMethod(i % 2 == 0 ? "__setitem__" : "__getitem__", i % 2 == 0 ? key : PyTuple.Create(1L));
            times[i] = Stopwatch.GetElapsedTime(t).TotalNanoseconds;
        }

        Array.Sort(times);
        return times;
    }

    private static ResultRow Row(string @case, string impl, string baseline, double ns, int samples, string note) => new()
    {
        Suite = "manager-connections",
        Case = @case,
        Implementation = impl,
        Baseline = baseline,
        MinNs = ns,
        MedianNs = ns,
        OpsPerSec = 1e9 / ns,
        Samples = samples,
        OpsPerSample = 1,
        Note = note,
    };

    /// <summary>VmRSS (bytes) and Threads of a process, from /proc/PID/status.</summary>
    private static (long Rss, int Threads) ServerStatus(int pid)
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (rss, threads);
    }

    /// <summary>Raises this process's RLIMIT_NOFILE (inherited by the servers it starts) to what the run needs, within the hard limit.</summary>
    private static void RaiseFileLimit(int needed)
    {
        var limit = default(RLimit);
        if (GetRLimit(RlimitNoFile, ref limit) != 0)
        {
            return;
        }

        if (limit.Max < (ulong)needed)
        {
            throw new InvalidOperationException($"manager-connections needs {needed} file descriptors; the hard limit (ulimit -Hn) is {limit.Max}");
        }

        if (limit.Cur < (ulong)needed)
        {
            limit.Cur = (ulong)needed;
            if (SetRLimit(RlimitNoFile, ref limit) != 0)
            {
                throw new InvalidOperationException($"setrlimit(RLIMIT_NOFILE, {needed}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }

    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Cur;
        public ulong Max;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, ref RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref RLimit limit);
}
