using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Multiprocess.Pooling;
using Multiprocess.Processes;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess demo [--python PATH|VERSION] [--python-workers N] [--csharp-workers N] [--tasks N] [--span N]
/// [--start-method spawn|forkserver] [--package multiprocessing|multiprocess]</c>:
/// a mixed pool: CPython workers (3.12 by default) running <c>multiprocessing.pool.worker</c> and C# workers, one
/// stream of tasks of <c>mpdemo.collatz_range</c> (python/demo/mpdemo.py, and its C# twin in
/// <see cref="DemoTargets"/>), gathered in order and checked against a local computation; shows progress, then which
/// worker (language, pid) did how many tasks.
/// </summary>
internal static partial class DemoCommand
{
    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create()
    {
        var python = new Option<string>("--python") { Description = "the CPython of the workers: a path or a version", HelpName = "PATH|VERSION", DefaultValueFactory = _ => "3.12" };
        var pythonWorkers = WholeNumber("--python-workers", "CPython workers", 2);
        var csharpWorkers = WholeNumber("--csharp-workers", "C# workers", 2);
        var tasks = WholeNumber("--tasks", "tasks in the stream", 400);
        var span = WholeNumber("--span", "numbers per task", 25000);
        var startMethod = new Option<string>("--start-method")
        {
            Description = "how the CPython workers start",
            DefaultValueFactory = _ => "spawn",
            CustomParser = OptionValues.From<string>(Among("spawn", "forkserver"), t => $"--start-method is spawn or forkserver, not '{t}'"),
        }.Completing("spawn", "forkserver");
        var package = new Option<string>("--package")
        {
            Description = "the CPython workers' package",
            DefaultValueFactory = _ => "multiprocessing",
            CustomParser = OptionValues.From<string>(Among("multiprocessing", "multiprocess"), t => $"--package is multiprocessing or multiprocess, not '{t}'"),
        }.Completing("multiprocessing", "multiprocess");
        var command = new CliCommand("demo", "run a mixed pool of CPython and C# workers on one stream of tasks")
        {
            python, pythonWorkers, csharpWorkers, tasks, span, startMethod, package,
        };
        command.SetAction(r =>
        {
            var settings = new Settings
            {
                Python = r.GetValue(python)!,
                PythonWorkers = r.GetValue(pythonWorkers),
                CSharpWorkers = r.GetValue(csharpWorkers),
                Tasks = r.GetValue(tasks),
                Span = Math.Max(1, r.GetValue(span)),
                StartMethod = r.GetValue(startMethod)!,
                Package = r.GetValue(package)!,
            };
            return settings.PythonWorkers + settings.CSharpWorkers == 0
                ? CommandTree.UsageError(r, "there must be at least one worker")
                : Run(settings);
        });
        return command;
    }

    private static Option<int> WholeNumber(string name, string description, int defaultValue) => new(name)
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = OptionValues.From<int>(OptionValues.NonNegative, t => $"{name} takes a whole number, not '{t}'"),
    };

    private static TryParser<string> Among(params string[] words) => (string text, out string value) =>
    {
        value = text;
        return words.Contains(text, StringComparer.Ordinal);
    };

    private static int Run(Settings settings)
    {
        PythonInterpreter python;
        try
        {
            python = PythonInterpreter.Resolve(settings.Python);
            _ = python.Version;
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"multiprocess demo: {e.Message} (choose one with --python PATH|VERSION)");
            return 1;
        }

        var moduleDir = FindModuleDirectory();
        if (moduleDir is null)
        {
            Console.Error.WriteLine($"multiprocess demo: mpdemo.py not found next to the command ({AppContext.BaseDirectory}python) or in a python/demo folder above it");
            return 1;
        }

        return RunDemo(settings, python, moduleDir);
    }

    private static int RunDemo(Settings s, PythonInterpreter python, string moduleDir)
    {
        const string Function = "mpdemo:collatz_range";
        var ranges = Enumerable.Range(0, s.Tasks)
            .Select(i => new Pickle.PyTuple(1L + ((long)i * s.Span), 1L + ((long)(i + 1) * s.Span)))
            .ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"multiprocess demo: {s.Tasks} tasks of {Function}, numbers 1..{(long)s.Tasks * s.Span}, one stream shared by"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {s.PythonWorkers} CPython {python.Version} worker(s) ({python.Path}, {s.Package}, started by {s.StartMethod}) and {s.CSharpWorkers} C# worker(s)"));

        var watch = Stopwatch.StartNew();
        var options = new PoolOptions
        {
            Processes = s.PythonWorkers,
            CSharpWorkers = s.CSharpWorkers,
            Process = new PythonProcessOptions
            {
                Interpreter = python,
                SysPath = [moduleDir],
                Package = s.Package,
                UseForkServer = s.StartMethod == "forkserver",
            },
        };
        var results = new List<object?>(s.Tasks);
        IReadOnlyList<PoolWorkerInfo> workers;
        using (var pool = new Pool(options))
        {
            pool.RegisterHandler(Function, a => a[0] is Pickle.PyTuple { Count: 2 } r
                ? DemoTargets.CollatzSteps((long)r[0]!, (long)r[1]!)
                : throw new ArgumentException($"expected (start, stop), got {Pickle.PyRepr.Repr(a[0])}"));
            var progress = new Progress(s.Tasks, watch);
            foreach (var r in pool.Imap(Function, ranges.Select(r => (object?)r), chunksize: 1))
            {
                results.Add(r);
                progress.Report(results.Count);
            }

            progress.Finish();
            pool.Close();
            pool.Join(TimeSpan.FromSeconds(30));
            workers = pool.Workers;
        }

        var elapsed = watch.Elapsed;
        PrintWorkers(workers);
        return Check(ranges, results, elapsed);
    }

    private static void PrintWorkers(IReadOnlyList<PoolWorkerInfo> workers)
    {
        Console.WriteLine();
        Console.WriteLine($"{"worker",-22} {"language",-8} {"pid",8} {"tasks",6}");
        foreach (var w in workers.Where(w => w.Tasks > 0 || w.ExitCode is null or not 0).OrderBy(w => w.Language, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{w.Name,-22} {w.Language,-8} {w.Pid,8} {w.Tasks,6}"));
        }

        foreach (var group in workers.GroupBy(w => w.Language).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"total " + group.Key,-22} {"",-8} {"",8} {group.Sum(w => w.Tasks),6}"));
        }
    }

    private static int Check(List<Pickle.PyTuple> ranges, List<object?> results, TimeSpan elapsed)
    {
        var expected = ranges.AsParallel().AsOrdered().Select(r => DemoTargets.CollatzSteps((long)r[0]!, (long)r[1]!)).ToList();
        var wrong = Enumerable.Range(0, Math.Min(expected.Count, results.Count)).Where(i => results[i] is not long v || v != expected[i]).ToList();
        var ok = wrong.Count == 0 && results.Count == expected.Count;
        Console.WriteLine();
        Console.WriteLine(ok
            ? string.Create(CultureInfo.InvariantCulture, $"check: {results.Count} results in task order, each equal to this process's own computation (total {expected.Sum()} steps): OK")
            : string.Create(CultureInfo.InvariantCulture, $"check: FAILED: {results.Count} of {expected.Count} results, {wrong.Count} wrong (first at task {(wrong.Count > 0 ? wrong[0] : results.Count)})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"elapsed: {elapsed.TotalSeconds:F2} s"));
        return ok ? 0 : 1;
    }

    /// <summary>mpdemo.py next to the command (copied there by the build), else python/demo in a folder above it.</summary>
    private static string? FindModuleDirectory()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "python");
        if (File.Exists(Path.Combine(beside, "mpdemo.py")))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "python", "demo");
            if (File.Exists(Path.Combine(candidate, "mpdemo.py")))
            {
                return candidate;
            }
        }

        return null;
    }

    private sealed record Settings
    {
        public string Python { get; init; } = "3.12";

        public int PythonWorkers { get; init; } = 2;

        public int CSharpWorkers { get; init; } = 2;

        public int Tasks { get; init; } = 400;

        public int Span { get; init; } = 25000;

        public string StartMethod { get; init; } = "spawn";

        public string Package { get; init; } = "multiprocessing";
    }
}
