using System.Diagnostics;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>cli</c>: <c>multiprocess serve</c> from process start to its <c>READY</c> line, one fresh process per sample,
/// interleaved: the framework-dependent build (<c>dotnet build</c>'s bin/Release/net10.0/multiprocess, the baseline)
/// against the Native AOT one (artifacts/native-cli/multiprocess, made by <c>scripts/publish-native-cli.sh</c>).
/// </summary>
public sealed class CliSuite : IBenchmarkSuite
{
    private const string Jit = "multiprocess serve, framework-dependent (JIT)";
    private const string Native = "multiprocess serve, Native AOT";

    /// <inheritdoc/>
    public string Name => "cli";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var native = Path.Combine(EngineCommands.RepoRoot, "artifacts", "native-cli", "multiprocess");
        if (!File.Exists(native))
        {
            throw new InvalidOperationException($"{native} is missing: run `bash scripts/publish-native-cli.sh` first");
        }

        var commands = new[] { (Jit, EngineCommands.Cli), (Native, native) };
        var times = commands.ToDictionary(c => c.Item1, _ => new List<double>());
        var samples = context.Samples(15);
        for (var i = 0; i <= samples; i++)
        {
            foreach (var (impl, path) in commands)
            {
                var ns = StartToReady(path);
                if (i > 0)
                {
                    times[impl].Add(ns);                // sample 0 warms the file cache
                }
            }
        }

        var jitStats = Stats.FromSamples(times[Jit], 1);
        var nativeStats = Stats.FromSamples(times[Native], 1);
        var rows = new[] { ResultRow.From(Name, "serve: start to READY", Jit, jitStats), ResultRow.From(Name, "serve: start to READY", Native, nativeStats) };
        foreach (var row in rows)
        {
            row.Baseline = Jit;
        }

        return rows;
    }

    /// <summary>Starts <c>serve</c> on a free port, times it to its READY line, then stops it (SIGKILL, by pid).</summary>
    private static double StartToReady(string path)
    {
        var watch = Stopwatch.StartNew();
        using var p = ServerProcess.Start(path, ["serve", "--address", "127.0.0.1:0", "--authkey-hex", "6b6579"]);
        return watch.Elapsed.TotalNanoseconds;
    }
}
