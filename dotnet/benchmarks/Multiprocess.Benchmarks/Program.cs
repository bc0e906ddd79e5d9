using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks;

/// <summary>
/// <c>multiprocess-bench SUITE|all [--smoke] [--out DIR] [--python 3.12] [--cases GROUP] [--runs N]</c>: runs suites
/// side by side with their peers and writes results/&lt;suite&gt;.csv. Full runs are on demand; <c>--smoke</c> proves
/// each case works and writes nothing unless --out is given. <c>--cases GROUP</c> runs one group of a suite's
/// cases (<see cref="IBenchmarkSuite.CaseGroups"/>) and replaces only their rows in the CSV. <c>--runs N</c> runs each
/// suite N times over (fresh servers and peers each time) and writes one row per case: the medians across the runs,
/// with their spread in the note (<see cref="RunMedians"/>). Every row's note records the load average around its
/// suite's run(s) (<see cref="MachineLoad"/>).
/// </summary>
public static class Program
{
    /// <summary>Runs the suites named on the command line.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "report")
        {
            return Report.ReportCommand.Run(args[1..], RepoRoot());
        }

        var suites = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmarkSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmarkSuite)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

        // Anything else that looks like an option is refused: `manager-server --help` or `--clients 4` used to run
        // the whole suite and write its CSV into dotnet/benchmarks/results/.
        if (args.Any(a => a is "--help" or "-h"))
        {
            Usage(Console.Out, suites);
            return 0;
        }

        var unknownOptions = args.Where(a => a.StartsWith('-') && !KnownOptions.Contains(a)).ToList();
        if (unknownOptions.Count > 0)
        {
            Console.Error.WriteLine($"unknown option(s): {string.Join(", ", unknownOptions)}; known: {string.Join(", ", KnownOptions)}");
            Usage(Console.Error, suites);
            return 2;
        }

        var smoke = args.Contains("--smoke");
        var outDir = Option(args, "--out");
        var version = Option(args, "--python") ?? "3.12";
        var cases = Option(args, "--cases");
        var runCount = 1;
        if (args.Contains("--runs") && (!int.TryParse(Option(args, "--runs"), NumberStyles.None, CultureInfo.InvariantCulture, out runCount) || runCount < 1))
        {
            Console.Error.WriteLine($"--runs {Option(args, "--runs")}: not a number of runs (1 or more)");
            return 2;
        }

        var names = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal)
                                         && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal) || args[i - 1] == "--smoke"))
                        .ToList();
        if (names.Count == 0)
        {
            Usage(Console.Error, suites);
            return 2;
        }

        var selected = names.Contains("all") ? suites : suites.Where(s => names.Contains(s.Name)).ToList();
        var unknown = names.Where(n => n != "all" && suites.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown suite(s): {string.Join(", ", unknown)}; known: {string.Join(", ", suites.Select(s => s.Name))}");
            return 2;
        }

        var whole = selected.Where(s => cases is not null && !s.CaseGroups.Contains(cases)).ToList();
        if (whole.Count > 0)
        {
            Console.Error.WriteLine($"--cases {cases}: not a group of {string.Join(", ", whole.Select(s => $"{s.Name} (groups: {(s.CaseGroups.Count == 0 ? "none" : string.Join(", ", s.CaseGroups))})"))}");
            return 2;
        }

        if (!smoke && outDir is null)
        {
            outDir = Path.Combine(RepoRoot(), "dotnet", "benchmarks", "results");
        }

        var context = new BenchContext(
            smoke,
            PythonInterpreters.Get(version),
            version,
            "multiprocess-bench " + string.Join(' ', args.Select(RelativeToRepo)),
            Path.Combine(AppContext.BaseDirectory, "python"),
            cases,
            runCount);

        var failed = 0;
        foreach (var suite in selected)
        {
            Console.WriteLine($"== {suite.Name}{(smoke ? " (smoke)" : "")}");
            try
            {
                var loadBefore = MachineLoad.Now();
                var runs = new List<IReadOnlyList<ResultRow>>();
                for (var run = 1; run <= runCount; run++)
                {
                    var runRows = suite.Run(context).ToList();
                    ResultsWriter.FillRatios(runRows);
                    runs.Add(runRows);
                    if (runCount > 1)
                    {
                        Console.WriteLine($"  run {run} of {runCount}: {runRows.Count} rows, load average {MachineLoad.Now()} (1 min)");
                    }
                }

                var rows = runCount == 1 ? runs[0].ToList() : RunMedians.Aggregate(runs);
                suite.Annotate(rows, context);
                var load = MachineLoad.Around(loadBefore, runCount);
                var stamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                foreach (var r in rows)
                {
                    r.Suite = suite.Name;
                    r.Command = context.Command;
                    r.Timestamp = stamp;
                    r.Machine = MachineDescription.Value;

                    // Every row says how busy the machine was; a suite that notes it in its own words keeps them.
                    if (!r.Note.Contains("load average", StringComparison.Ordinal))
                    {
                        r.Note = r.Note.Length == 0 ? load : $"{r.Note}; {load}";
                    }
                }

                ResultsWriter.FillRatios(rows);
                foreach (var r in rows)
                {
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"  {r.Case,-34} {r.Implementation,-22} min {Format(r.MinNs),10}  median {Format(r.MedianNs),10}  {r.OpsPerSec,12:N0} ops/s{(r.MBPerSec > 0 ? $"  {r.MBPerSec,9:N1} MB/s" : "")}  ratio {r.Ratio,6:F2} vs {r.Baseline}"));
                }

                if (outDir is not null)
                {
                    // A group of cases run alone replaces its rows in the suite's results and keeps the others.
                    Console.WriteLine("  -> " + (cases is null ? ResultsWriter.Write(outDir, suite.Name, rows) : ResultsWriter.Merge(outDir, suite.Name, rows)));
                }
            }
            catch (Exception e)
            {
                failed++;
                Console.Error.WriteLine($"suite {suite.Name} failed: {e}");
            }
        }

        return failed == 0 ? 0 : 1;
    }

    private static string Format(double ns) => ns switch
    {
        >= 1e9 => (ns / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " s",
        >= 1e6 => (ns / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (ns / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " µs",
        _ => ns.ToString("F0", CultureInfo.InvariantCulture) + " ns",
    };

    /// <summary>The options a suite run takes (<c>report</c> has its own).</summary>
    private static readonly string[] KnownOptions = ["--smoke", "--out", "--python", "--cases", "--runs"];

    private static void Usage(TextWriter output, IEnumerable<IBenchmarkSuite> suites)
    {
        output.WriteLine("usage: multiprocess-bench SUITE|all [--smoke] [--out DIR] [--python 3.12] [--cases GROUP] [--runs N]");
        output.WriteLine("       multiprocess-bench report --out DIR [--junit DIR] [--results DIR] [--readme-chart PNG]");
        output.WriteLine("without --smoke or --out, results go to dotnet/benchmarks/results/SUITE.csv");
        output.WriteLine("--runs N: N runs of each suite (fresh servers each), one row per case: the medians across the runs, their spread in the note");
        foreach (var suite in suites)
        {
            output.WriteLine($"  {suite.Name}{(suite.CaseGroups.Count == 0 ? "" : $" (--cases {string.Join(" | ", suite.CaseGroups)})")}");
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The CSV's command names a folder inside the repository (an <c>--out</c> in a worktree or a clone)
    /// relative to it, so the committed results name no path of the machine that made them.</summary>
    private static string RelativeToRepo(string arg)
    {
        if (!Path.IsPathRooted(arg))
        {
            return arg;
        }

        var relative = Path.GetRelativePath(RepoRoot(), arg);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? arg : relative;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiprocess.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
