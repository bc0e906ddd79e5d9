using Multiprocess.Benchmarks.Harness;

namespace Multiprocess.Tests.Benchmarks;

/// <summary>
/// The bound the manager-server and shim benchmarks put next to each goal (docs/manager-server/throughput-bound.md,
/// "What 2 cores allow"): R × min(cores, clients) × T / (c + k) for throughput, (c_b + s_b) / (c + k) if both runs
/// filled the cores, R × s / k for CPU; and the floor next to each CPU goal, the baseline's CPU over a bare echo
/// server's of the same rounds. Figures in ns, as the result rows hold them.
/// </summary>
[TestFixture]
public sealed class ReachableBoundTests
{
    [Test]
    public void Throughput_IsTheMeasuredRatioRaisedToWhatTheBusyCoresAllowAtClientPlusKernel()
    {
        // Measured 1.3× at 21 µs per call on 2 cores (42 µs of core time per call); client 14 + kernel 8 µs = 22:
        // the server's run could go 42 / 22 times faster, the ratio 1.3 × 42 / 22 = 2.48×.
        Assert.That(ReachableBound.Throughput(2, 2, 1.3, 21_000, 14_000, 8_000), Is.EqualTo(1.3 * 42 / 22).Within(1e-12));
        // Four clients still have two cores; one client keeps one busy at most (its calls are one chain).
        Assert.That(ReachableBound.Throughput(2, 4, 1.3, 21_000, 14_000, 8_000), Is.EqualTo(1.3 * 42 / 22).Within(1e-12));
        Assert.That(ReachableBound.Throughput(2, 1, 1.3, 21_000, 14_000, 8_000), Is.EqualTo(1.3 * 21 / 22).Within(1e-12));
        Assert.That(ReachableBound.Throughput(8, 4, 1.3, 21_000, 14_000, 8_000), Is.EqualTo(1.3 * 84 / 22).Within(1e-12));
    }

    [Test]
    public void Throughput_EqualsBusyCoresOverClientPlusKernel_AgainstTheBaselinesMeasuredRate()
    {
        // R = T_baseline / T: the bound is then min(cores, N) / (c + k) calls/s over the baseline's 1 / T_baseline.
        const double baselineWall = 27_400, wall = 21_250;
        Assert.That(ReachableBound.Throughput(2, 2, baselineWall / wall, wall, 14_100, 8_300), Is.EqualTo(2 * baselineWall / (14_100 + 8_300)).Within(1e-9));
    }

    [Test]
    public void Throughput_IfBothFillTheCores_IsTheBaselinesCpuPerCallOverClientPlusKernel()
    {
        Assert.That(ReachableBound.ThroughputIfBothFillTheCores(20_000, 6_000, 21_000, 24_000), Is.EqualTo(45.0 / 26).Within(1e-12));
    }

    [Test]
    public void Cpu_IsTheMeasuredRatioTimesOurServerCpuOverItsKernelPart()
    {
        Assert.That(ReachableBound.Cpu(1.6, 8_000, 6_000), Is.EqualTo(1.6 * 8 / 6).Within(1e-12));
    }

    [TestCase(double.NaN, 8_000, 6_000)]
    [TestCase(1.6, 0, 6_000)]
    [TestCase(1.6, 8_000, 0)]
    public void MissingFigure_GivesNaNAndNoNote(double ratio, double ns, double kernel)
    {
        Assert.That(ReachableBound.Throughput(2, 2, ratio, ns, 14_000, kernel), Is.NaN);
        Assert.That(ReachableBound.Cpu(ratio, ns, kernel), Is.NaN);
        Assert.That(ReachableBound.ThroughputNote(2, 2, 2, ratio, ns, 14_000, kernel, 21_000, 24_000, "C# server"), Is.Null);
        Assert.That(ReachableBound.CpuNote(3, ratio, ns, kernel, 13_000, "C# server", "CPython 3.12 server"), Is.Null);
    }

    [TestCase(double.NaN, 13_400, 6_500)]
    [TestCase(0, 13_400, 6_500)]
    [TestCase(2.0, 0, 6_500)]
    [TestCase(2.0, 13_400, 0)]
    [TestCase(2.0, 13_400, double.PositiveInfinity)]
    public void FloorNote_MissingFigure_GivesNoNote(double ratio, double baselineNs, double echoNs)
    {
        Assert.That(ReachableBound.FloorNote(3, ratio, 1.5, baselineNs, echoNs, "CPython 3.12 server", "C# server", "echo-floor.c"), Is.Null);
    }

    [Test]
    public void FloorNote_BelowTheGoal_SaysTheGoalIsBeyondAnyServerOnThisMachine()
    {
        // CPython's server in its cheap regime (13.4 µs per call) against an echo server at 6.5 µs: even a server
        // doing nothing would be 2.04× (paired) cheaper, below the goal of 3×.
        Assert.That(
            ReachableBound.FloorNote(3, 2.04, 1.68, 13_400, 6_500, "CPython 3.12 server", "C# server", "echo-floor.c"),
            Is.EqualTo("a server doing nothing (echo-floor.c, this run): ≤ 2.04×, the goal is beyond any server on this machine (CPython 3.12 server's CPU per call over the echo server's, paired by round; by the medians 13.4 µs / 6.5 µs = 2.06×)"));
    }

    [Test]
    public void FloorNote_UnderRuns_SaysTheMedianOfTheRuns_NotThisRun()
    {
        // --runs 7: F is the median of the seven runs' paired ratios, the figures the medians across the runs.
        Assert.That(
            ReachableBound.FloorNote(3, 3.86, 2.71, 24_900, 6_400, "CPython 3.12 server", "C# server", "echo-floor.c", runs: 7),
            Is.EqualTo("a server doing nothing (echo-floor.c, the median of 7 runs): ≤ 3.86× (CPython 3.12 server's CPU per call over the echo server's, paired by round, the median of the 7 runs' ratios; by the medians 24.9 µs / 6.4 µs = 3.89×)"));
    }

    [TestCase(3.0, "3.00")]
    [TestCase(3.9, "3.90")]
    public void FloorNote_AtOrAboveTheGoal_GivesTheFloorWithoutAVerdict(double ratio, string printed)
    {
        var note = ReachableBound.FloorNote(3, ratio, 2.9, 25_800, 6_500, "CPython 3.12 server", "C# server", "echo-floor.c");
        Assert.That(note, Does.StartWith($"a server doing nothing (echo-floor.c, this run): ≤ {printed}× (CPython 3.12 server's CPU per call"));
        Assert.That(note, Does.EndWith("by the medians 25.8 µs / 6.5 µs = 3.97×)"));
        Assert.That(note, Does.Not.Contain("beyond"));
    }

    [Test]
    public void FloorNote_TheMeasuredServerBelowTheEcho_SaysNoFloorAndGivesNoVerdict()
    {
        // The C# server 1.68× cheaper than CPython's in rounds where the echo server was only 0.48× as cheap (a
        // loaded VM, 2026-12-07 15:55): the echo paid more than the server it should bound, so it bounds nothing.
        var note = ReachableBound.FloorNote(3, 0.48, 1.68, 15_200, 30_300, "CPython 3.12 server", "C# server", "echo-floor.c");
        Assert.That(note, Does.StartWith("a server doing nothing (echo-floor.c, this run): ≤ 0.48×, below the C# server's measured 1.68×: the echo cost more than it in these rounds, so no floor here (no verdict) ("));
        Assert.That(note, Does.Not.Contain("beyond"));
    }

    [Test]
    public void Notes_SayTheBoundItsFiguresAndWhenTheGoalIsBeyondIt()
    {
        var reachable = ReachableBound.ThroughputNote(2, 2, 2, 1.3, 21_000, 14_000, 8_000, 13_800, 13_500, "C# server");
        Assert.That(reachable, Does.StartWith("reachable here ≤ 2.48× (the measured 1.30× × 2 busy cores × 21.0 µs per call / (client 14.0 + the C# server's kernel 8.0 µs CPU per call)"));
        Assert.That(reachable, Does.Contain("; 1.24× if both runs filled the cores: (client 13.8 + server 13.5) / (14.0 + 8.0)"));

        var beyond = ReachableBound.ThroughputNote(2, 2, 2, 1.3, 15_000, 14_000, 8_000, 13_800, 13_500, "C# server");
        Assert.That(beyond, Does.StartWith("reachable here ≤ 1.77×, the goal is beyond it"));

        Assert.That(ReachableBound.CpuNote(3, 1.6, 8_000, 6_000, 13_000, "C# server", "CPython 3.12 server"),
            Is.EqualTo("reachable here ≤ 2.13×, the goal is beyond it (the measured 1.60× × the C# server's 8.0 µs / its kernel 6.0 µs CPU per call, the system calls and wake-ups a server with no user-space work still pays; by the medians CPython 3.12 server's 13.0 µs / 6.0 µs = 2.17×)"));
        Assert.That(ReachableBound.CpuNote(3, 2.5, 8_000, 6_000, 20_000, "C# server", "CPython 3.12 server"), Does.StartWith("reachable here ≤ 3.33× (the measured"));
    }
}
