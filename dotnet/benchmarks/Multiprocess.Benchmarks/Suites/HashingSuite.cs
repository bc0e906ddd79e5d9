using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Pickle;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>hashing</c>: loading a pickled dict or set of N keys chosen to collide, against N plain keys of the same type
/// and size, in this codec and in CPython's C unpickler (python/bench_hashing.py loads the same bytes). Crafted sets
/// and their plain baselines: <c>fold32</c> (i·(2**32+1): one hash each under a lo^hi fold to 32 bits) against
/// <c>plain_wide</c> (2**48+i: ints of the same encoded size, not cached boxes; <c>plain</c>, 0..N−1, is shown too); <c>mersenne61</c> (i·(2**61−1): one hash each under CPython's own modulus, so CPython
/// itself degrades; it runs there only at 1k keys, one load per sample) against <c>plain_big</c> (2**80+i); <c>nan</c> (N distinct
/// NaN objects) against <c>plain_float</c> (i+0.5). Each row's ratio is its baseline's median over its own: the goal
/// is no crafted set slower than 1.5× its baseline (ratio ≥ 0.67) at any N, in the C# rows.
/// </summary>
public sealed class HashingSuite : IBenchmarkSuite
{
    private const string CSharp = "C#";
    private const int CPythonMersenneLimit = 1_000;

    /// <inheritdoc/>
    public string Name => "hashing";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cpython = "CPython " + context.PythonVersion;
        int[] sizes = context.Smoke ? [1_000] : [1_000, 10_000, 100_000, 1_000_000];
        string[] keySets = ["plain", "plain_wide", "fold32", "plain_big", "mersenne61", "plain_float", "nan"];
        string[] containers = ["dict", "set"];
        var dir = Directory.CreateTempSubdirectory("mp-bench-hashing-");
        var rows = new List<ResultRow>();
        try
        {
            foreach (var n in sizes)
            {
                foreach (var container in containers)
                {
                    var @case = string.Create(CultureInfo.InvariantCulture, $"loads {container} {n} keys");
                    var pickles = keySets.ToDictionary(k => k, k => PickleSerializer.Dumps(Build(container, k, n), new PickleOptions { Protocol = 4 }));

                    // CPython loads the same bytes (its own process, one file per key set).
                    var files = new List<string>();
                    foreach (var (keySet, bytes) in pickles)
                    {
                        if (keySet == "mersenne61" && n > CPythonMersenneLimit)
                        {
                            continue; // quadratic in CPython: hours at 1M keys
                        }

                        var path = Path.Combine(dir.FullName, $"{keySet}.pkl");
                        File.WriteAllBytes(path, bytes);
                        files.Add($"{keySet}={(keySet == "mersenne61" ? 1 : OpsFor(n))}={path}");
                    }

                    foreach (var p in PythonPeer.Run(context, "bench_hashing.py", [@case, .. files], TimeSpan.FromMinutes(10)))
                    {
                        rows.Add(Row(p.Case, p.Impl, p.Stats, cpython + " " + BaselineOf(p.Impl[(cpython.Length + 1)..])));
                    }

                    // Samples interleave the key sets, so a change in the machine's load hits all of them alike.
                    var ops = context.Ops(OpsFor(n));
                    var samples = keySets.ToDictionary(k => k, _ => new List<double>());
                    for (var round = -1; round < context.Samples(7); round++)
                    {
                        foreach (var (keySet, bytes) in pickles)
                        {
                            if (n >= 100_000)
                            {
                                // The previous loads' garbage is collected outside the timed region, for every key set alike.
                                GC.Collect();
                            }

                            var start = Stopwatch.GetTimestamp();
                            for (var i = 0; i < ops; i++)
                            {
                                PickleSerializer.Loads(bytes);
                            }

                            if (round >= 0)
                            {
                                samples[keySet].Add(Stopwatch.GetElapsedTime(start).TotalNanoseconds / ops);
                            }
                        }
                    }

                    foreach (var keySet in keySets)
                    {
                        rows.Add(Row(@case, $"{CSharp} {keySet}", Stats.FromSamples(samples[keySet], ops), CSharp + " " + BaselineOf(keySet)));
                    }
                }
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        ResultsWriter.FillRatios(rows);
        foreach (var row in rows.Where(r => r.Implementation.StartsWith(CSharp, StringComparison.Ordinal) && r.Implementation != r.Baseline))
        {
            row.Note = row.Ratio >= 1 / 1.5 ? "goal met: at most 1.5x its plain keys" : "GOAL MISSED: over 1.5x its plain keys";
        }

        return rows;
    }

    private static string BaselineOf(string keySet) => keySet switch
    {
        "fold32" => "plain_wide",
        "mersenne61" => "plain_big",
        "nan" => "plain_float",
        _ => keySet,
    };

    private static long OpsFor(int n) => Math.Max(1, 200_000 / n);

    private static object Build(string container, string keySet, int n)
    {
        var keys = Enumerable.Range(0, n).Select<int, object?>(i => keySet switch
        {
            "plain" => (long)i,
            "fold32" => i * ((1L << 32) + 1),
            "plain_wide" => (1L << 48) + i,
            "plain_big" => (BigInteger.One << 80) + i,
            "mersenne61" => (BigInteger)i * ((1L << 61) - 1),
            "plain_float" => i + 0.5,
            "nan" => double.NaN,
            _ => throw new ArgumentOutOfRangeException(nameof(keySet), keySet, "unknown key set"),
        });
        if (container == "set")
        {
            return new PySet(keys);
        }

        var dict = new PyDict(n);
        foreach (var k in keys)
        {
            dict[k] = null;
        }

        return dict;
    }

    private static ResultRow Row(string @case, string impl, Stats stats, string baseline)
    {
        var row = ResultRow.From("hashing", @case, impl, stats);
        row.Baseline = baseline;
        return row;
    }
}
