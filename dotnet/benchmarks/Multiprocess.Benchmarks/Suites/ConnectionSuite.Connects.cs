using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Connection;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>connect+auth</c>: authenticated connects (connect, handshake, close) of each client (C# in this process, a
/// CPython process) to each server (<c>multiprocess echo serve</c>, a CPython <c>Listener</c>), over AF_UNIX.
/// </summary>
/// <remarks>
/// Both servers and the CPython client are started once and warmed up until a burst of connects leaves them idle
/// (<see cref="WarmUp"/>: the .NET runtime recompiles hot code at tier 1 in the background after the first bursts,
/// 100–250 ms of the echo server's CPU, which used to land on whichever pair ran next). Then the four pairs are
/// interleaved: <see cref="ConnectRounds"/> rounds, each one short sample of <see cref="ConnectOps"/> connects per
/// pair, the order rotating from round to round, so a change of load hits all pairs alike instead of whichever ran
/// during it (five samples of 300 per pair, one pair after the other, swung 2× from run to run). Per sample: wall
/// time, the client's CPU time (this process's, or the CPython client's <c>time.process_time</c>) and the server
/// process's CPU time, each per connect. Rows: the wall time (<c>connect+auth</c>, the goals), and the client's and
/// the server's CPU (<c>connect+auth: client CPU</c>, <c>connect+auth: server CPU</c>), min and median sample, the
/// ratio paired by round (<see cref="ConnectPair.Rows"/>); the note says how much CPU the other server used
/// meanwhile (idle: ~0).
/// </remarks>
public sealed partial class ConnectionSuite
{
    private const int ConnectOps = 100;
    private const int ConnectRounds = 21;
    private const int ConnectWarmup = 200;
    private const int ConnectWarmupBatches = 20;

    private static readonly TimeSpan s_idleWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>CPU per <see cref="s_idleWindow"/> under which a process counts as idle (0.4 %).</summary>
    private const long IdleCpuNs = 1_000_000;

    /// <summary>Authenticated connects: every client against every server, interleaved.</summary>
    private static IEnumerable<ResultRow> ConnectRates(BenchContext context, string cli, string py)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var hex = Convert.ToHexString(key);
        var folder = Directory.CreateTempSubdirectory("bench-conn-");
        var csAddress = new UnixPathAddress(Path.Combine(folder.FullName, "cs.sock"));
        var pyAddress = new UnixPathAddress(Path.Combine(folder.FullName, "py.sock"));
        using var csServer = StartServer(cli, ["echo", "serve", csAddress.ToString(), "--authkey-hex", hex], redirectStdin: false);
        using var pyServer = StartServer(context.Python, [Path.Combine(context.ScriptDirectory, "bench_connection.py"), "serve", pyAddress.ToString(), "--authkey-hex", hex], redirectStdin: true);
        using var pyClient = PythonPeer.Start(context, "bench_connection.py", ["connect-client", "--authkey-hex", hex], redirectStdin: true);
        var stderr = pyClient.StandardError.ReadToEndAsync();
        try
        {
            ConnectPair[] pairs =
            [
                new("C#↔C#", null, csAddress, csServer, pyServer),
                new($"{py}↔C#", pyClient, csAddress, csServer, pyServer),
                new($"C#↔{py}", null, pyAddress, pyServer, csServer),
                new($"{py}↔{py}", pyClient, pyAddress, pyServer, csServer),
            ];
            var warmUps = WarmUp(context, pairs, key, csServer, pyServer);
            var ops = (int)context.Ops(ConnectOps);
            var rounds = context.Samples(ConnectRounds);
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < pairs.Length; i++)
                {
                    pairs[(round + i) % pairs.Length].Sample(key, ops);
                }
            }

            var layout = string.Create(CultureInfo.InvariantCulture, $"{rounds} rounds × {ops} connects, the pairs interleaved, both servers up, warmed up by {(warmUps > 0 ? $"{warmUps} × {context.Ops(ConnectWarmup)} connects per pair" : "batches that never left them idle")}");
            return pairs.SelectMany(p => p.Rows(ops, layout, baseline: pairs[^1])).ToList();
        }
        catch (Exception e) when (pyClient.HasExited)
        {
            throw new InvalidOperationException($"bench_connection.py connect-client failed: {stderr.Result}", e);
        }
        finally
        {
            pyClient.StandardInput.Close();
            pyServer.StandardInput.Close();
            csServer.Stop();
            if (!pyClient.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                pyClient.Kill();
            }

            pyServer.Stop();   // its stdin is closed: waits up to 10 s for its exit, then the kill
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Runs warm-up batches of every pair until a batch leaves the servers and this process idle in the window after
    /// it (<see cref="IsIdle"/>): the runtime's tiered compilation counts calls only once no new code has been jitted
    /// for 100 ms, so the first quiet moment after a burst starts it, and the next burst then pays for the tier-1
    /// compiles in the background (37 ms of the echo server's CPU after the first 100 connects following a
    /// 2,000-connect warm-up and an idle second; /proc/PID/task/*/schedstat, thread ".NET Tiered Com").
    /// </summary>
    /// <returns>How many batches it took; 0: not settled within <see cref="ConnectWarmupBatches"/>.</returns>
    private static int WarmUp(BenchContext context, ConnectPair[] pairs, byte[] key, params ServerProcess[] servers)
    {
        for (var batch = 0; batch < (context.Smoke ? 1 : ConnectWarmupBatches); batch++)
        {
            foreach (var pair in pairs)
            {
                pair.Batch(key, (int)context.Ops(ConnectWarmup));
            }

            if (context.Smoke || IsIdle(servers))
            {
                return batch + 1;
            }
        }

        return 0;
    }

    /// <summary>Whether the servers and this process each use less than <see cref="IdleCpuNs"/> in the next <see cref="s_idleWindow"/>.</summary>
    private static bool IsIdle(ServerProcess[] servers)
    {
        var before = servers.Select(s => CpuClock.Of(s.Pid)).Append(CpuClock.Self()).ToArray();
        Thread.Sleep(s_idleWindow);
        var after = servers.Select(s => CpuClock.Of(s.Pid)).Append(CpuClock.Self()).ToArray();
        return before.Zip(after).All(p => p.Second - p.First < IdleCpuNs);
    }

    /// <summary>One client ↔ server pairing and its samples (ns per connect).</summary>
    private sealed class ConnectPair(string label, Process? pythonClient, ConnectionAddress address, ServerProcess server, ServerProcess otherServer)
    {
        private readonly List<double> _wall = [];
        private readonly List<double> _clientCpu = [];
        private readonly List<double> _serverCpu = [];
        private long _otherServerCpu;
        private long _connects;

        /// <summary>Runs <paramref name="n"/> connects; returns the wall and client CPU time, ns.</summary>
        public (long Wall, long ClientCpu) Batch(byte[] key, int n)
        {
            if (pythonClient is null)
            {
                var cpu = CpuClock.Self();
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    Client.Connect(address, key).Dispose();
                }

                var wall = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
                return (wall, CpuClock.Self() - cpu);
            }

            pythonClient.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{address} {n}"));
            pythonClient.StandardInput.Flush();
            var line = pythonClient.StandardOutput.ReadLine() ?? throw new IOException("the CPython client ended");
            using var reply = JsonDocument.Parse(line);
            return (reply.RootElement.GetProperty("wall_ns").GetInt64(), reply.RootElement.GetProperty("cpu_ns").GetInt64());
        }

        /// <summary>One measured sample of <paramref name="n"/> connects.</summary>
        public void Sample(byte[] key, int n)
        {
            var serverCpu = CpuClock.Of(server.Pid);
            var otherCpu = CpuClock.Of(otherServer.Pid);
            var (wall, clientCpu) = Batch(key, n);
            _serverCpu.Add((double)(CpuClock.Of(server.Pid) - serverCpu) / n);
            _otherServerCpu += CpuClock.Of(otherServer.Pid) - otherCpu;
            _connects += n;
            _wall.Add((double)wall / n);
            _clientCpu.Add((double)clientCpu / n);
        }

        /// <summary>
        /// The wall-time row and the two CPU rows. Their ratio is paired: the median over rounds of the baseline's
        /// sample over this pair's sample of the same round, so load that comes and goes between rounds cancels out
        /// (the ratio of the two medians, which the harness computes otherwise, moved 0.84–1.66× between two runs
        /// at load 12).
        /// </summary>
        public IEnumerable<ResultRow> Rows(int ops, string layout, ConnectPair baseline)
        {
            var beside = string.Create(CultureInfo.InvariantCulture, $"{layout}; the other server meanwhile {(double)_otherServerCpu / _connects / 1000:F1} µs CPU per connect");
            yield return Row("connect+auth", _wall, baseline._wall, beside);
            yield return Row("connect+auth: client CPU", _clientCpu, baseline._clientCpu, "the client process's CPU time per connect");
            yield return Row("connect+auth: server CPU", _serverCpu, baseline._serverCpu, "the server process's CPU time per connect, all threads");

            ResultRow Row(string @case, List<double> samples, List<double> baselineSamples, string note)
            {
                var row = ResultRow.From("connection", @case, label, Stats.FromSamples(samples, ops));
                var paired = Stats.FromSamples(samples.Zip(baselineSamples, (mine, theirs) => theirs / mine).ToList(), ops);
                row.Ratio = paired.MedianNs;
                row.Note = string.Create(CultureInfo.InvariantCulture, $"{note}; ratio paired by round (median of {samples.Count}; ratio of the medians {Stats.FromSamples(baselineSamples, ops).MedianNs / row.MedianNs:F2}×)");
                return row;
            }
        }
    }
}
