using Multiprocess.Benchmarks.Harness;

namespace Multiprocess.Tests.Benchmarks;

/// <summary><c>multiprocess-bench --runs N</c>: one row per case out of N runs, the medians across the runs.</summary>
[TestFixture]
public sealed class RunMediansTests
{
    [Test]
    public void Aggregate_TakesTheMedianAcrossRuns_TheFastestSample_AndTheMedianRunsNote()
    {
        var runs = new[]
        {
            new[] { Row("dict set/get, 2 clients", "C# server", min: 40, median: 50, ratio: 1.9, note: "run one") },
            new[] { Row("dict set/get, 2 clients", "C# server", min: 35, median: 70, ratio: 1.5, note: "run two") },
            new[] { Row("dict set/get, 2 clients", "C# server", min: 45, median: 45, ratio: 2.3, note: "run three") },
        };

        var row = RunMedians.Aggregate(runs).Single();

        Assert.That(row.MedianNs, Is.EqualTo(50));
        Assert.That(row.OpsPerSec, Is.EqualTo(1e9 / 50));
        Assert.That(row.MinNs, Is.EqualTo(35));
        Assert.That(row.Ratio, Is.EqualTo(1.9));
        Assert.That(row.Samples, Is.EqualTo(27));
        Assert.That(row.Note, Is.EqualTo("median of 3 runs: median 50 ns (45 ns–70 ns), ratio 1.90× (1.50–2.30); run 1: run one"));
    }

    [Test]
    public void Aggregate_EvenCount_AveragesTheMiddleTwo_KeepsTheLowerMiddleRunsNote()
    {
        var runs = new[]
        {
            new[] { Row("Queue put/get, 4 clients", "C# server", 10, 20, 2.0, "a") },
            new[] { Row("Queue put/get, 4 clients", "C# server", 10, 40, 1.0, "b") },
        };

        var row = RunMedians.Aggregate(runs).Single();

        Assert.That(row.MedianNs, Is.EqualTo(30));
        Assert.That(row.Ratio, Is.EqualTo(1.5));
        Assert.That(row.Note, Does.EndWith("run 2: b"));
    }

    [Test]
    public void Aggregate_RowWithoutRatio_PicksTheRunByMedian_AndSaysWhenARunLacksTheRow()
    {
        var runs = new[]
        {
            new[] { Row("x: server kernel CPU per call", "CPython 3.12 server", 5, 9, double.NaN, "n1"), Row("y", "C# server", 1, 1, 1, "") },
            new[] { Row("y", "C# server", 1, 3, 1, "") },
            new[] { Row("x: server kernel CPU per call", "CPython 3.12 server", 5, 7, double.NaN, "n3"), Row("y", "C# server", 1, 2, 1, "") },
        };

        var rows = RunMedians.Aggregate(runs);

        Assert.That(rows.Select(r => r.Case), Is.EqualTo(new[] { "x: server kernel CPU per call", "y" }));
        Assert.That(rows[0].MedianNs, Is.EqualTo(8));
        Assert.That(rows[0].Ratio, Is.NaN);
        Assert.That(rows[0].Note, Is.EqualTo("median of 2 runs (of 3: the others lack the row): median 8 ns (7 ns–9 ns); run 3: n3"));
        Assert.That(rows[1].MedianNs, Is.EqualTo(2));
    }

    [Test]
    public void Aggregate_NoRuns_Throws()
    {
        Assert.That(() => RunMedians.Aggregate([]), Throws.ArgumentException);
    }

    private static ResultRow Row(string @case, string impl, double min, double median, double ratio, string note) => new()
    {
        Suite = "manager-server",
        Case = @case,
        Implementation = impl,
        Baseline = "CPython 3.12 server",
        MinNs = min,
        MedianNs = median,
        OpsPerSec = 1e9 / median,
        Ratio = ratio,
        Samples = 9,
        OpsPerSample = 3000,
        Note = note,
    };
}
