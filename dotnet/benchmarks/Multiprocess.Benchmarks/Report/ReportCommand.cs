using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Multiprocess.Benchmarks.Harness;

namespace Multiprocess.Benchmarks.Report;

/// <summary>
/// <c>multiprocess-bench report --out DIR [--junit DIR] [--results DIR] [--readme-chart PNG]</c>: the conformance
/// matrix of a test run (its JUnit XML, by default <c>.cache/test-logs/junit</c>, which scripts/test.sh writes) and a
/// ratio chart per benchmark suite (<c>dotnet/benchmarks/results/*.csv</c>) as DIR/index.html with PNG and SVG charts.
/// <c>--readme-chart</c> also copies the summary chart (the engine against CPython, every suite) to a path.
/// </summary>
public static class ReportCommand
{
    /// <summary>The summary chart's file name (without extension).</summary>
    public const string SummaryChart = "ratios-summary";

    /// <summary>Runs the command; returns the exit status (0 written, 1 missing input, 2 usage).</summary>
    public static int Run(string[] args, string repoRoot)
    {
        var outDir = Option(args, "--out");
        if (outDir is null)
        {
            Console.Error.WriteLine("usage: multiprocess-bench report --out DIR [--junit DIR] [--results DIR] [--readme-chart PNG]");
            return 2;
        }

        var junit = Option(args, "--junit") ?? Path.Combine(repoRoot, ".cache", "test-logs", "junit");
        var results = Option(args, "--results") ?? Path.Combine(repoRoot, "dotnet", "benchmarks", "results");
        if (!Directory.Exists(junit) || Directory.GetFiles(junit, "*.xml").Length == 0)
        {
            Console.Error.WriteLine($"multiprocess-bench report: no JUnit XML in {junit}: run scripts/test.sh first (or pass --junit DIR)");
            return 1;
        }

        if (!Directory.Exists(results) || Directory.GetFiles(results, "*.csv").Length == 0)
        {
            Console.Error.WriteLine($"multiprocess-bench report: no benchmark results (*.csv) in {results} (pass --results DIR)");
            return 1;
        }

        Directory.CreateDirectory(outDir);
        var cases = TestResults.ReadFolder(junit);
        var envs = TestResults.Envs(junit);
        var matrix = ConformanceMatrix.Build(cases, envs);
        foreach (var empty in envs.Where(e => !cases.Any(c => c.Env == e)))
        {
            Console.WriteLine($"  {empty}: its JUnit XML holds no test case (a column of empty cells)");
        }

        var charts = new List<ChartEntry>();
        var summary = new List<RatioBar>();
        foreach (var csv in Directory.GetFiles(results, "*.csv").Order(StringComparer.Ordinal))
        {
            var rows = ReadResults(csv);
            var suite = Path.GetFileNameWithoutExtension(csv);
            var bars = RatioCharts.Bars(rows);
            if (bars.Count == 0)
            {
                Console.WriteLine($"  {suite}: no rows with a baseline, no chart");
                continue;
            }

            var baselines = string.Join(", ", bars.Select(b => b.Baseline).Distinct());
            var (w, h) = RatioCharts.Save($"{suite}: ratio to {baselines}", bars, Path.Combine(outDir, "ratios-" + suite));
            charts.Add(new ChartEntry(
                suite, $"ratios-{suite}.png", $"ratios-{suite}.svg", w, h,
                rows.Select(r => r.Command).Distinct().ToList(),
                rows.Select(r => string.IsNullOrEmpty(r.Machine) ? "not recorded (results from before the Machine column)" : r.Machine).Distinct().ToList(),
                rows.Select(r => r.Timestamp).Distinct().ToList(),
                Shown(repoRoot, csv)));
            var engine = EngineBars(bars);
            if (engine.Count > 0)
            {
                summary.Add(RatioCharts.Summarize(suite, engine));
            }
        }

        if (summary.Count > 0)
        {
            var (w, h) = RatioCharts.Save("The engine against CPython: geometric mean per suite, whisker from its slowest to its fastest case", summary, Path.Combine(outDir, SummaryChart));
            charts.Insert(0, new ChartEntry(
                "summary", SummaryChart + ".png", SummaryChart + ".svg", w, h,
                ["multiprocess-bench SUITE (see each suite below)"], ["see each suite below"], ["see each suite below"], Shown(repoRoot, results)));
            if (Option(args, "--readme-chart") is { } readme)
            {
                File.Copy(Path.Combine(outDir, SummaryChart + ".png"), readme, overwrite: true);
                Console.WriteLine("  -> " + readme);
            }
        }

        var page = ReportPage.Write(outDir, matrix, charts, Shown(repoRoot, junit), "multiprocess-bench report " + string.Join(' ', args));
        var failed = cases.Count(c => c.Outcome == Outcome.Failed);
        Console.WriteLine($"report: {cases.Count} test results from {matrix.Columns.Count} envs ({failed} failed), {charts.Count} charts -> {page}");
        return 0;
    }

    /// <summary>Reads a results CSV (files from before a column was added read with it empty).</summary>
    public static List<ResultRow> ReadResults(string path)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { MissingFieldFound = null, HeaderValidated = null };
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, config);
        return csv.GetRecords<ResultRow>().ToList();
    }

    /// <summary>
    /// What a suite's summary bar summarizes: per case, the first row measured against a CPython baseline that is
    /// neither CPython itself nor another library (the engine's main configuration: the suites write it first).
    /// </summary>
    private static List<RatioBar> EngineBars(List<RatioBar> bars) =>
        bars.Where(b => b.Baseline.Contains("CPython", StringComparison.Ordinal)
                        && !b.Implementation.StartsWith("CPython", StringComparison.Ordinal)
                        && !b.Implementation.Contains("Razorvine", StringComparison.Ordinal))
            .GroupBy(b => b.Case)
            .Select(g => g.First())
            .ToList();

    // A path inside the repository relative to it (the page does not depend on where the clone is), others as given.
    private static string Shown(string repoRoot, string path)
    {
        var relative = Path.GetRelativePath(repoRoot, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFullPath(path) : relative;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
