using System.Globalization;
using CsvHelper;
using Multiprocess.Benchmarks.Report;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>Writes a suite's rows to results/&lt;suite&gt;.csv with CsvHelper, filling in ratios against each case's baseline.</summary>
public static class ResultsWriter
{
    /// <summary>
    /// Fills <see cref="ResultRow.Ratio"/> (baseline median / row median) for every row whose case has a baseline row
    /// and whose suite did not set a ratio of its own (a paired one: connection's connect+auth).
    /// </summary>
    public static void FillRatios(IList<ResultRow> rows)
    {
        foreach (var row in rows.Where(r => r.Ratio == 0))
        {
            var baseline = rows.FirstOrDefault(r => r.Case == row.Case && r.Implementation == row.Baseline);
            row.Ratio = baseline is null || row.MedianNs <= 0 ? double.NaN : baseline.MedianNs / row.MedianNs;
        }
    }

    /// <summary>Writes the rows; returns the path written.</summary>
    public static string Write(string directory, string suite, IEnumerable<ResultRow> rows)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, suite + ".csv");
        using var writer = new StreamWriter(path);
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        csv.WriteRecords(rows);
        return path;
    }

    /// <summary>
    /// Writes the rows of a partial run (<c>--cases</c>) into the suite's existing results: each row replaces the
    /// row of the same case and implementation where it stood, rows it has no counterpart for are appended, and the
    /// other cases' rows stay as they were. Returns the path written.
    /// </summary>
    public static string Merge(string directory, string suite, IEnumerable<ResultRow> rows)
    {
        var path = Path.Combine(directory, suite + ".csv");
        if (!File.Exists(path))
        {
            return Write(directory, suite, rows);
        }

        var merged = ReportCommand.ReadResults(path);
        foreach (var row in rows)
        {
            var at = merged.FindIndex(r => r.Case == row.Case && r.Implementation == row.Implementation);
            if (at >= 0)
            {
                merged[at] = row;
            }
            else
            {
                merged.Add(row);
            }
        }

        return Write(directory, suite, merged);
    }
}
