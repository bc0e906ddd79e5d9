using System.Diagnostics;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>Min and median time per operation over a set of samples.</summary>
/// <param name="MinNs">The fastest sample, in nanoseconds per operation.</param>
/// <param name="MedianNs">The median sample, in nanoseconds per operation.</param>
/// <param name="Samples">How many samples were taken.</param>
/// <param name="OpsPerSample">How many operations each sample timed.</param>
public sealed record Stats(double MinNs, double MedianNs, int Samples, long OpsPerSample)
{
    /// <summary>Gets what else a Python peer measured for this row (its result line's <c>note</c>), or null.</summary>
    public string? Note { get; init; }

    /// <summary>
    /// Gets the ratio over the baseline that a Python peer computed itself (its result line's <c>ratio</c>: paired by
    /// round, manager-server), or 0: the harness then divides the medians.
    /// </summary>
    public double Ratio { get; init; }

    /// <summary>Builds stats from per-operation sample times in nanoseconds.</summary>
    public static Stats FromSamples(IReadOnlyList<double> nsPerOp, long opsPerSample)
    {
        if (nsPerOp.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(nsPerOp));
        }

        var sorted = nsPerOp.Order().ToArray();
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Stats(sorted[0], median, sorted.Length, opsPerSample);
    }
}

/// <summary>
/// Times a batch of operations repeatedly, the same way the Python side (python/bench_common.py) does, so that
/// both sides' numbers mean the same thing: warm up, then <c>samples</c> batches of <c>opsPerSample</c> calls.
/// </summary>
public static class Sampler
{
    /// <summary>Measures <paramref name="batch"/>, which must run its argument's number of operations.</summary>
    public static Stats Measure(Action<long> batch, long opsPerSample, int samples, int warmupSamples = 1)
    {
        for (var i = 0; i < warmupSamples; i++)
        {
            batch(opsPerSample);
        }

        var results = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            batch(opsPerSample);
            var elapsed = Stopwatch.GetElapsedTime(start);
            results[i] = elapsed.TotalNanoseconds / opsPerSample;
        }

        return Stats.FromSamples(results, opsPerSample);
    }

    /// <summary>Measures a single-operation action (e.g. a loop body), batching it.</summary>
    public static Stats Measure(Action op, long opsPerSample, int samples, int warmupSamples = 1) =>
        Measure(n => { for (long i = 0; i < n; i++) { op(); } }, opsPerSample, samples, warmupSamples);
}
