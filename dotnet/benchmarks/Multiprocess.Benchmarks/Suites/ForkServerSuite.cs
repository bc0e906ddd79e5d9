using System.Diagnostics;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Pooling;
using Multiprocess.Processes;
using Multiprocess.ResourceTracking;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>forkserver</c> (docs/forkserver.md): start+join of a no-op Python child from C# through a forkserver against
/// spawn, and against CPython starting the same child through its own forkserver (python/bench_forkserver.py);
/// <c>Pool(4)</c> first-map latency from C# (construction to the first <c>map</c>'s result) with forkserver workers
/// against spawn workers.
/// </summary>
/// <remarks>The forkservers (C#'s and CPython's) are started by the warm-up sample, so the figures are those of a
/// running server, as every child after the first sees it.</remarks>
public sealed class ForkServerSuite : IBenchmarkSuite
{
    private const string Module = "bench_process_targets";

    /// <inheritdoc/>
    public string Name => "forkserver";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        ResourceTracker.Default.Launcher = ResourceTrackerLauncher.Engine(EngineCommands.Cli);
        var python = $"CPython {context.PythonVersion}";
        var spawn = new PythonProcessOptions { Interpreter = PythonInterpreter.FromPath(context.Python), SysPath = [context.ScriptDirectory] };
        var forkserver = spawn with { UseForkServer = true };
        const string StartCase = "start+join of a no-op Python child";
        const string ForkServerCase = "start+join of a no-op Python child through a forkserver";
        const string PoolCase = "Pool(4) first map (construction to the result of map(square, range(8)))";

        var rows = new List<ResultRow>();
        var viaForkServer = StartJoin(context, forkserver);
        rows.Add(Row(StartCase, "C# → forkserver", "C# → spawn", viaForkServer));
        rows.Add(Row(StartCase, "C# → spawn", "", StartJoin(context, spawn)));
        var vsCPython = Row(ForkServerCase, "C# → forkserver", python + " → forkserver", viaForkServer);
        vsCPython.Note = "the C# → forkserver sample above";
        rows.Add(vsCPython);
        rows.Add(Row(PoolCase, "C# Pool, forkserver workers", "C# Pool, spawn workers", FirstMap(context, forkserver)));
        rows.Add(Row(PoolCase, "C# Pool, spawn workers", "", FirstMap(context, spawn)));
        foreach (var (c, impl, stats) in PythonPeer.Run(context, "bench_forkserver.py", [], TimeSpan.FromMinutes(5)))
        {
            rows.Add(ResultRow.From(Name, c, impl, stats));
        }

        return rows;
    }

    private static Stats StartJoin(BenchContext context, PythonProcessOptions options) => Sampler.Measure(
        n =>
        {
            for (long i = 0; i < n; i++)
            {
                using var p = new PythonProcess($"{Module}:noop", options: options);
                p.Start();
                p.Join();
                if (p.ExitCode != 0)
                {
                    throw new InvalidOperationException($"the no-op child exited with {p.ExitCode}");
                }
            }
        },
        context.Ops(5),
        context.Samples(7));

    /// <summary>Each sample: a new pool, timed from construction to the first map's result; closing it is not timed.</summary>
    private static Stats FirstMap(BenchContext context, PythonProcessOptions options)
    {
        var data = Enumerable.Range(0, 8).Select(i => (object?)(long)i).ToList();
        var samples = new List<double>();
        for (var s = 0; s < context.Samples(7) + 1; s++)
        {
            var watch = Stopwatch.StartNew();
            using var pool = new Pool(new PoolOptions { Processes = 4, Process = options });
            var result = pool.Map($"{Module}:square", data);
            var elapsed = watch.Elapsed;
            if (result.Count != 8 || (long)result[7]! != 49)
            {
                throw new InvalidOperationException("map(square, range(8)) gave a wrong result");
            }

            pool.Close();
            pool.Join(TimeSpan.FromSeconds(30));
            if (s > 0)
            {
                samples.Add(elapsed.TotalMilliseconds * 1e6);   // the first is the warm-up
            }
        }

        return Stats.FromSamples(samples, 1);
    }

    private ResultRow Row(string @case, string impl, string baseline, Stats stats)
    {
        var row = ResultRow.From(Name, @case, impl, stats);
        row.Baseline = baseline;
        return row;
    }
}
