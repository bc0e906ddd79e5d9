using System.Globalization;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// What this machine allows a blocking server against its baseline, from figures of the same run (issue 16's
/// goals, and issue 12's for the shim). Each call costs its client <c>c</c> and the server <c>s</c> of CPU; a
/// blocking server pays at least its kernel part <c>k</c> of <c>s</c> (its system calls, its sleep and its wake-up)
/// even with nothing left to do in user space. With N clients whose calls each form one chain (client, server,
/// client) on <c>cores</c> cores, the server's run used min(cores, N) × T core-seconds per call (T its measured
/// wall time per call, 1 / its ops/s) and needed c + s; a server paying only k would need c + k, so:
/// <list type="bullet">
/// <item>throughput: its ratio over the baseline is at most <see cref="Throughput"/> = R × min(cores, N) × T /
/// (c + k), R the measured ratio (the measured server's rate raised to what the cores allow at c + k; the same as
/// min(cores, N) / (c + k) against the baseline's measured rate);</item>
/// <item>if the baseline's run filled the cores too (its rate min(cores, N) / (c_baseline + s_baseline)), that reads
/// <see cref="ThroughputIfBothFillTheCores"/> = (c_baseline + s_baseline) / (c + k);</item>
/// <item>server CPU per call (the baseline's over ours): at most <see cref="Cpu"/> = R × s / k (= s_baseline / k by
/// the medians).</item>
/// </list>
/// The measured ratio R is the suite's own (paired by round in manager-server), so a bound is never below the ratio
/// it stands next to. Assumptions: the clients' CPU per call stays what it was against the measured server (c), and
/// the server keeps its system calls and wake-ups per call (k) while its user-space part goes to 0.
/// </summary>
public static class ReachableBound
{
    /// <summary>The most ops/s ratio over the baseline: R × min(cores, clients) × T / (c + k).</summary>
    /// <param name="cores">Logical cores of the machine.</param>
    /// <param name="clients">Client processes (each a chain of calls).</param>
    /// <param name="ratio">The measured ops/s ratio over the baseline, R.</param>
    /// <param name="wallNs">The measured server's aggregate wall time per call, T, ns (1e9 / its ops/s).</param>
    /// <param name="clientNs">Client CPU per call against the measured server, c, ns.</param>
    /// <param name="kernelNs">The measured server's kernel CPU per call, k, ns.</param>
    /// <returns>The ratio, or NaN when a figure is missing (not positive or not finite).</returns>
    public static double Throughput(int cores, int clients, double ratio, double wallNs, double clientNs, double kernelNs) =>
        Known(ratio, wallNs, clientNs, kernelNs) && cores > 0 && clients > 0
            ? ratio * Math.Min(cores, clients) * wallNs / (clientNs + kernelNs)
            : double.NaN;

    /// <summary>The ops/s ratio if both runs filled the cores: (c_baseline + s_baseline) / (c + k).</summary>
    /// <param name="clientNs">Client CPU per call against the measured server, ns.</param>
    /// <param name="kernelNs">The measured server's kernel CPU per call, ns.</param>
    /// <param name="baselineClientNs">Client CPU per call against the baseline, ns.</param>
    /// <param name="baselineServerNs">The baseline server's CPU per call, ns.</param>
    /// <returns>The ratio, or NaN when a figure is missing.</returns>
    public static double ThroughputIfBothFillTheCores(double clientNs, double kernelNs, double baselineClientNs, double baselineServerNs) =>
        Known(clientNs, kernelNs, baselineClientNs, baselineServerNs)
            ? (baselineClientNs + baselineServerNs) / (clientNs + kernelNs)
            : double.NaN;

    /// <summary>The most server-CPU ratio (the baseline's CPU per call over ours): R × s / k.</summary>
    /// <param name="ratio">The measured CPU ratio, R.</param>
    /// <param name="serverNs">The measured server's CPU per call, s, ns.</param>
    /// <param name="kernelNs">Its kernel part, k, ns.</param>
    /// <returns>The ratio, or NaN when a figure is missing.</returns>
    public static double Cpu(double ratio, double serverNs, double kernelNs) =>
        Known(ratio, serverNs, kernelNs, 1) ? ratio * serverNs / kernelNs : double.NaN;

    /// <summary>
    /// The note of a throughput goal row: "reachable here ≤ B× (…)" with the figures it comes from and the
    /// if-both-fill-the-cores variant; says when the goal is beyond it.
    /// </summary>
    /// <param name="goal">The goal ratio.</param>
    /// <param name="cores">Logical cores.</param>
    /// <param name="clients">Client processes.</param>
    /// <param name="ratio">R.</param>
    /// <param name="wallNs">T, ns.</param>
    /// <param name="clientNs">c, ns.</param>
    /// <param name="kernelNs">k, ns.</param>
    /// <param name="baselineClientNs">c_baseline, ns.</param>
    /// <param name="baselineServerNs">s_baseline, ns.</param>
    /// <param name="who">The measured server's name in the note, e.g. "C# server".</param>
    /// <returns>The note, or null when a figure is missing.</returns>
    public static string? ThroughputNote(
        double goal, int cores, int clients, double ratio, double wallNs, double clientNs, double kernelNs, double baselineClientNs, double baselineServerNs, string who)
    {
        var bound = Throughput(cores, clients, ratio, wallNs, clientNs, kernelNs);
        var fill = ThroughputIfBothFillTheCores(clientNs, kernelNs, baselineClientNs, baselineServerNs);
        if (double.IsNaN(bound) || double.IsNaN(fill))
        {
            return null;
        }

        var busy = Math.Min(cores, clients);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"reachable here ≤ {bound:F2}×{Beyond(goal, bound)} (the measured {ratio:F2}× × {busy} busy core{(busy == 1 ? "" : "s")} × {Us(wallNs)} µs per call / (client {Us(clientNs)} + the {who}'s kernel {Us(kernelNs)} µs CPU per call); {fill:F2}× if both runs filled the cores: (client {Us(baselineClientNs)} + server {Us(baselineServerNs)}) / ({Us(clientNs)} + {Us(kernelNs)}); assumes the clients' CPU and the server's kernel CPU per call stay, its user-space part goes to 0)");
    }

    /// <summary>The note of a server-CPU goal row: "reachable here ≤ B× (R × s / k)"; says when the goal is beyond it.</summary>
    /// <param name="goal">The goal ratio (3 for ⅓ of the baseline's CPU).</param>
    /// <param name="ratio">R.</param>
    /// <param name="serverNs">s, ns.</param>
    /// <param name="kernelNs">k, ns.</param>
    /// <param name="baselineServerNs">s_baseline, ns (for the note).</param>
    /// <param name="who">The measured server's name in the note.</param>
    /// <param name="baseline">The baseline server's name in the note.</param>
    /// <returns>The note, or null when a figure is missing.</returns>
    public static string? CpuNote(double goal, double ratio, double serverNs, double kernelNs, double baselineServerNs, string who, string baseline)
    {
        var bound = Cpu(ratio, serverNs, kernelNs);
        return double.IsNaN(bound)
            ? null
            : string.Create(
                CultureInfo.InvariantCulture,
                $"reachable here ≤ {bound:F2}×{Beyond(goal, bound)} (the measured {ratio:F2}× × the {who}'s {Us(serverNs)} µs / its kernel {Us(kernelNs)} µs CPU per call, the system calls and wake-ups a server with no user-space work still pays; by the medians {baseline}'s {Us(baselineServerNs)} µs / {Us(kernelNs)} µs = {(baselineServerNs > 0 ? baselineServerNs / kernelNs : double.NaN):F2}×)");
    }

    /// <summary>
    /// The floor clause of a server-CPU goal row: "a server doing nothing (SOURCE, this run): ≤ F×", F the baseline's
    /// server CPU per call over a bare echo server's (one that only waits, receives and sends back, measured in the same
    /// rounds: its CPU is the system calls, the sleep and the wake-up any blocking server pays per call). Under
    /// <c>--runs N</c> F is the median of the N runs' paired ratios and the clause says "SOURCE, the median of N runs". Unlike
    /// <see cref="CpuNote"/> it does not depend on the measured server's design; where F is below the goal, "the goal
    /// is beyond any server on this machine". A floor the measured server itself went below (its ratio R above F: the
    /// echo paid more than it in the same rounds) bounds nothing, and the clause says so instead of a verdict.
    /// </summary>
    /// <param name="goal">The goal ratio (3 for ⅓ of the baseline's CPU).</param>
    /// <param name="ratio">F: the baseline's CPU per call over the echo's, paired by round (the median over rounds).</param>
    /// <param name="measuredRatio">R: the measured server's ratio (the baseline's CPU over its own), paired alike.</param>
    /// <param name="baselineServerNs">The baseline server's median CPU per call, ns (for the note).</param>
    /// <param name="floorServerNs">The echo server's median CPU per call, ns (for the note).</param>
    /// <param name="baseline">The baseline server's name in the note.</param>
    /// <param name="who">The measured server's name in the note.</param>
    /// <param name="source">The echo server's source file in the note.</param>
    /// <param name="runs">How many runs the figures are the medians of (1: one run's).</param>
    /// <returns>The note, or null when a figure is missing.</returns>
    public static string? FloorNote(
        double goal, double ratio, double measuredRatio, double baselineServerNs, double floorServerNs, string baseline, string who, string source, int runs = 1)
    {
        if (!Known(ratio, baselineServerNs, floorServerNs, 1))
        {
            return null;
        }

        var verdict = measuredRatio > ratio
            ? string.Create(CultureInfo.InvariantCulture, $", below the {who}'s measured {measuredRatio:F2}×: the echo cost more than it in these rounds, so no floor here (no verdict)")
            : ratio < goal ? ", the goal is beyond any server on this machine" : "";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"a server doing nothing ({source}, {RunsPhrase(runs)}): ≤ {ratio:F2}×{verdict} ({baseline}'s CPU per call over the echo server's, paired by round{(runs > 1 ? $", the median of the {runs} runs' ratios" : "")}; by the medians {Us(baselineServerNs)} µs / {Us(floorServerNs)} µs = {baselineServerNs / floorServerNs:F2}×)");
    }

    /// <summary>What a note's figures come from: "this run", or "the median of N runs" under <c>--runs N</c>.</summary>
    /// <param name="runs">How many runs.</param>
    /// <returns>The phrase.</returns>
    private static string RunsPhrase(int runs) =>
        runs > 1 ? string.Create(CultureInfo.InvariantCulture, $"the median of {runs} runs") : "this run";

    private static bool Known(double a, double b, double c, double d) =>
        a > 0 && b > 0 && c > 0 && d > 0 && double.IsFinite(a) && double.IsFinite(b) && double.IsFinite(c) && double.IsFinite(d);

    private static string Beyond(double goal, double bound) => bound < goal ? ", the goal is beyond it" : "";

    private static string Us(double ns) => (ns / 1e3).ToString("F1", CultureInfo.InvariantCulture);
}
