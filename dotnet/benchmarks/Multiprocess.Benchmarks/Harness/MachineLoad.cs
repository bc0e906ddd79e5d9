using System.Globalization;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// The load average around a run, for the rows' notes: on a shared machine the ratios of one run stand, but its
/// absolute times depend on how busy the machine was, so a row says it.
/// </summary>
public static class MachineLoad
{
    /// <summary>Gets the 1-minute load average now, as /proc/loadavg writes it ("?" where it cannot be read).</summary>
    /// <returns>The load average.</returns>
    public static string Now()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>Describes the load before a run (<paramref name="before"/>, from <see cref="Now"/>) and now, after it.</summary>
    /// <param name="before">The load average read before the run.</param>
    /// <param name="runs">How many runs the rows come from (<c>--runs</c>).</param>
    /// <returns>e.g. "load average 1.2 before, 1.5 after the run (1 min), 2 cores".</returns>
    public static string Around(string before, int runs = 1) =>
        string.Create(CultureInfo.InvariantCulture, $"load average {before} before, {Now()} after the {(runs == 1 ? "run" : $"{runs} runs")} (1 min), {Environment.ProcessorCount} cores");
}
