using System.Globalization;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// <c>--runs N</c>: one row per case and implementation out of N runs of a suite (fresh servers each run), since one
/// run's ratio moves by ±30 % on this shared 2-core machine. The row's median and ratio are the medians across the
/// runs' medians and ratios, its min the fastest sample of all runs; the note says the spread (lowest–highest run)
/// and keeps the notes of the run whose ratio (or median) is the median one.
/// </summary>
public static class RunMedians
{
    /// <summary>Aggregates the runs' rows (each run's ratios already filled). A row missing from some run is kept
    /// over the runs that have it, and its note says how many.</summary>
    /// <param name="runs">The rows of each run, in the order the runs ran.</param>
    /// <returns>The aggregated rows, in the first run's order (then rows only later runs had).</returns>
    /// <exception cref="ArgumentException">No runs.</exception>
    public static List<ResultRow> Aggregate(IReadOnlyList<IReadOnlyList<ResultRow>> runs)
    {
        if (runs.Count == 0)
        {
            throw new ArgumentException("no runs to aggregate", nameof(runs));
        }

        var keys = runs.SelectMany(r => r).Select(r => (r.Case, r.Implementation)).Distinct().ToList();
        var result = new List<ResultRow>(keys.Count);
        foreach (var (@case, impl) in keys)
        {
            var rows = runs.Select(run => run.FirstOrDefault(r => r.Case == @case && r.Implementation == impl)).OfType<ResultRow>().ToList();
            var median = Median(rows.Select(r => r.MedianNs));
            var ratios = rows.Select(r => r.Ratio).Where(double.IsFinite).ToList();
            var ratio = ratios.Count > 0 ? Median(ratios) : double.NaN;

            // The run whose ratio (or median, without a ratio) is the median one (the lower of the middle two for an
            // even count): its notes stand for the row.
            var byRatio = ratios.Count == rows.Count;
            var ordered = rows.OrderBy(r => byRatio ? r.Ratio : r.MedianNs).ToList();
            var typical = ordered[(ordered.Count - 1) / 2];
            var spread = string.Create(
                CultureInfo.InvariantCulture,
                $"median of {rows.Count} runs{(rows.Count < runs.Count ? $" (of {runs.Count}: the others lack the row)" : "")}: median {Format(median)} ({Format(rows.Min(r => r.MedianNs))}–{Format(rows.Max(r => r.MedianNs))})");
            if (ratios.Count > 0)
            {
                spread += string.Create(CultureInfo.InvariantCulture, $", ratio {ratio:F2}× ({ratios.Min():F2}–{ratios.Max():F2})");
            }

            var first = rows[0];
            result.Add(new ResultRow
            {
                Suite = first.Suite,
                Case = @case,
                Implementation = impl,
                Baseline = first.Baseline,
                MinNs = rows.Min(r => r.MinNs),
                MedianNs = median,
                OpsPerSec = median > 0 ? 1e9 / median : 0,
                BytesPerOp = first.BytesPerOp,
                MBPerSec = first.BytesPerOp > 0 && median > 0 ? first.BytesPerOp / median * 1e9 / 1e6 : 0,
                Ratio = ratio,
                Samples = rows.Sum(r => r.Samples),
                OpsPerSample = first.OpsPerSample,
                Command = first.Command,
                Timestamp = first.Timestamp,
                Note = typical.Note.Length == 0 ? spread : $"{spread}; run {IndexOf(runs, typical) + 1}: {typical.Note}",
                Machine = first.Machine,
            });
        }

        return result;
    }

    /// <summary>The median of the values (the mean of the middle two for an even count).</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("no values", nameof(values));
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static int IndexOf(IReadOnlyList<IReadOnlyList<ResultRow>> runs, ResultRow row)
    {
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Contains(row))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Format(double ns) => ns switch
    {
        >= 1e9 => (ns / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " s",
        >= 1e6 => (ns / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (ns / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " µs",
        _ => ns.ToString("F0", CultureInfo.InvariantCulture) + " ns",
    };
}
