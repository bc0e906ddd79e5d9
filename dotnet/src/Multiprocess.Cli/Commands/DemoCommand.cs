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
internal sealed partial class DemoCommand : ICommand
{
    private const string Usage =
        "usage: multiprocess demo [--python PATH|VERSION] [--python-workers N] [--csharp-workers N] [--tasks N] [--span N]\n"
        + "                         [--start-method spawn|forkserver] [--package multiprocessing|multiprocess]\n"
        + "  a mixed pool of CPython and C# workers sharing one stream of tasks (mpdemo.collatz_range)\n"
        + "  defaults: --python 3.12 --python-workers 2 --csharp-workers 2 --tasks 400 --span 25000 --start-method spawn\n"
        + "            --package multiprocessing";

    public string Name => "demo";

    public string Summary => "run a mixed pool of CPython and C# workers on one stream of tasks";

    public int Run(string[] args)
    {
        if (args is ["-h" or "--help"])
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (!TryParse(args, out var settings, out var error))
        {
            Console.Error.WriteLine($"multiprocess demo: {error}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

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

    private static bool TryParse(string[] args, out Settings settings, out string error)
    {
        settings = new Settings();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
            {
                error = $"'{args[i]}' needs a value";
                return false;
            }

            var value = args[++i];
            int Int()
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    throw new FormatException($"{args[i - 1]} takes a whole number, not '{value}'");
                }

                return n;
            }

            try
            {
                settings = args[i - 1] switch
                {
                    "--python" => settings with { Python = value },
                    "--python-workers" => settings with { PythonWorkers = Int() },
                    "--csharp-workers" => settings with { CSharpWorkers = Int() },
                    "--tasks" => settings with { Tasks = Int() },
                    "--span" => settings with { Span = Math.Max(1, Int()) },
                    "--start-method" when value is "spawn" or "forkserver" => settings with { StartMethod = value },
                    "--start-method" => throw new FormatException($"--start-method is spawn or forkserver, not '{value}'"),
                    "--package" when value is "multiprocessing" or "multiprocess" => settings with { Package = value },
                    "--package" => throw new FormatException($"--package is multiprocessing or multiprocess, not '{value}'"),
                    _ => throw new FormatException($"unknown option '{args[i - 1]}'"),
                };
            }
            catch (FormatException e)
            {
                error = e.Message;
                return false;
            }
        }

        if (settings.PythonWorkers + settings.CSharpWorkers == 0)
        {
            error = "there must be at least one worker";
            return false;
        }

        return true;
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
