using System.Diagnostics;
using System.Globalization;
using System.Text;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Managers.Client;
using Multiprocess.ResourceTracking;
using Multiprocess.SharedCTypes;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>sharedctypes</c>: what a shared counter costs. One increment of a shared <c>Value('i')</c> under its lock (C#
/// <see cref="SharedValue{T}"/> vs CPython's <c>with v.get_lock(): v.value += 1</c>) against the same increment of a
/// manager <c>Value</c> (<c>v.value += 1</c>: get + set, two round trips to one CPython manager server over TCP
/// loopback), from C# and from CPython. Samples alternate between the implementations (the Python client runs each
/// batch on request), so all see the same load on this shared machine.
/// </summary>
public sealed class SharedCTypesSuite : IBenchmarkSuite
{
    private const string Script = "bench_sharedctypes.py";
    private const string SharedCase = "Value('i') += 1 under its lock";
    private const string ManagerCase = "manager Value('i') += 1 (get + set)";
    private const string VersusCase = "Value('i') += 1: shared memory (locked) against a manager Value";
    private static readonly byte[] s_authKey = Encoding.ASCII.GetBytes("bench-sharedctypes");

    /// <inheritdoc/>
    public string Name => "sharedctypes";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        ResourceTracker.Default.Launcher = ResourceTrackerLauncher.Engine(EngineCommands.Cli);
        // The CPython manager server prints its address, the CPython client its implementation's name.
        using var server = PythonPeer.StartServer(context, Script, ["server"], PythonPeer.Talking);
        var address = server.ReadyLine;
        using var python = PythonPeer.StartServer(context, Script, ["client", address], PythonPeer.Talking);
        var impl = python.ReadyLine;
        using var manager = new SyncManager(address, s_authKey);
        manager.Connect();
        using var managed = manager.Value("i", 0L);
        using var shared = new SharedValue<int>(0);

        var samples = context.Samples(15);
        var sharedOps = context.Ops(200_000);
        var managerOps = context.Ops(1_000);
        var stats = Interleaved(
            samples,
            [
                (sharedOps, n => PythonBatch(python, "shared", n)),
                (sharedOps, n => Time(() => SharedIncrements(shared, n))),
                (managerOps, n => PythonBatch(python, "manager", n)),
                (managerOps, n => Time(() => ManagerIncrements(managed, n))),
            ]);
        python.Stop();

        var rows = new List<ResultRow>
        {
            Row(SharedCase, impl, impl, stats[0]),
            Row(SharedCase, "C#", impl, stats[1]),
            Row(ManagerCase, impl, impl, stats[2]),
            Row(ManagerCase, "C#", impl, stats[3]),
        };
        rows[0].Note = string.Create(CultureInfo.InvariantCulture, $"{stats[2].MedianNs / stats[0].MedianNs:F0}x faster than the manager Value");
        rows[1].Note = string.Create(CultureInfo.InvariantCulture, $"{stats[3].MedianNs / stats[1].MedianNs:F0}x faster than the manager Value");

        // The issue's comparison as ratios: in each language, the shared Value against the manager Value (the same
        // samples as above, baseline = the manager row).
        foreach (var (lang, sharedStats, managerStats) in new[] { (impl, stats[0], stats[2]), ("C#", stats[1], stats[3]) })
        {
            var viaShared = Row(VersusCase, $"{lang}, shared Value", $"{lang}, manager Value", sharedStats);
            var viaManager = Row(VersusCase, $"{lang}, manager Value", "", managerStats);
            viaShared.Note = viaManager.Note = "the samples above";
            rows.AddRange([viaShared, viaManager]);
        }

        return rows;
    }

    private static void SharedIncrements(SharedValue<int> value, long n)
    {
        for (long i = 0; i < n; i++)
        {
            using (value.EnterScope())
            {
                value.Raw.Value++;
            }
        }
    }

    private static void ManagerIncrements(Managers.Client.Proxies.ValueProxy value, long n)
    {
        for (long i = 0; i < n; i++)
        {
            value.Value = (long)value.Value! + 1;   // Python's v.value += 1: get, then set
        }
    }

    private static double Time(Action run)
    {
        var t0 = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(t0).TotalNanoseconds;
    }

    /// <summary>One warm-up batch each, then rounds of one sample per implementation, in turn.</summary>
    private static Stats[] Interleaved(int samples, (long Ops, Func<long, double> Run)[] implementations)
    {
        foreach (var (ops, run) in implementations)
        {
            run(ops);
        }

        var perOp = implementations.Select(_ => new double[samples]).ToArray();
        for (var i = 0; i < samples; i++)
        {
            for (var j = 0; j < implementations.Length; j++)
            {
                perOp[j][i] = implementations[j].Run(implementations[j].Ops) / implementations[j].Ops;
            }
        }

        return perOp.Select((p, j) => Stats.FromSamples(p, implementations[j].Ops)).ToArray();
    }

    private static double PythonBatch(ServerProcess python, string key, long ops)
    {
        python.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} {ops}"));
        python.StandardInput.Flush();
        var line = python.StandardOutput.ReadLine() ?? throw python.Ended();
        return double.Parse(line, CultureInfo.InvariantCulture);
    }

    private static ResultRow Row(string @case, string impl, string baseline, Stats stats)
    {
        var row = ResultRow.From("sharedctypes", @case, impl, stats);
        row.Baseline = baseline;
        return row;
    }
}
