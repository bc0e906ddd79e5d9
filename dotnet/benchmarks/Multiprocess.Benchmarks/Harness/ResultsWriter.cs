using System.Globalization;
using CsvHelper;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>Writes a suite's rows to results/&lt;suite&gt;.csv with CsvHelper, filling in ratios against each case's baseline.</summary>
public static class ResultsWriter
{
    /// <summary>Fills <see cref="ResultRow.Ratio"/> (baseline median / row median) for every row whose case has a baseline row.</summary>
    public static void FillRatios(IList<ResultRow> rows)
    {
        foreach (var row in rows)
        {
            var baseline = rows.FirstOrDefault(r => r.Case == row.Case && r.Implementation == row.Baseline);
            row.Ratio = baseline is null || row.MedianNs <= 0 ? double.NaN : baseline.MedianNs / row.MedianNs;
        }
    }

    /// <summary>
    /// Writes the rows of a subset run into the suite's CSV: each row replaces the one of the same case and
    /// implementation, rows of other cases stay as they were, new ones are added at the end.
    /// </summary>
    /// <returns>The path written.</returns>
    public static string Merge(string directory, string suite, IReadOnlyList<ResultRow> rows)
    {
        var path = Path.Combine(directory, suite + ".csv");
        if (!File.Exists(path))
        {
            return Write(directory, suite, rows);
        }

        List<ResultRow> merged;
        using (var reader = new StreamReader(path))
        using (var csv = new CsvReader(reader, CultureInfo.InvariantCulture))
        {
            merged = csv.GetRecords<ResultRow>().ToList();
        }

        var fresh = rows.ToDictionary(r => (r.Case, r.Implementation));
        for (var i = 0; i < merged.Count; i++)
        {
            if (fresh.Remove((merged[i].Case, merged[i].Implementation), out var row))
            {
                merged[i] = row;
            }
        }

        merged.AddRange(rows.Where(r => fresh.ContainsKey((r.Case, r.Implementation))));
        return Write(directory, suite, merged);
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
}
