namespace Multiprocess.ResourceTracking;

/// <summary>
/// How a <see cref="ResourceTracker"/> starts its tracker process: the engine's own (<c>multiprocess
/// resource-tracker FD</c>) or CPython's (<c>python -c 'from multiprocessing.resource_tracker import main;main(FD)'</c>).
/// Both read the same lines and clean up the same way; the engine's needs no Python installed.
/// </summary>
public sealed class ResourceTrackerLauncher
{
    /// <summary>The environment variable naming the <c>multiprocess</c> command (also used by the interop tests).</summary>
    public const string CommandVariable = "MULTIPROCESS_CLI";

    /// <summary>The environment variable naming a CPython interpreter to run the tracker with when the
    /// <c>multiprocess</c> command cannot be found.</summary>
    public const string PythonVariable = "MULTIPROCESS_PYTHON";

    private readonly Func<int, IReadOnlyList<string>> _arguments;

    private ResourceTrackerLauncher(string executable, string description, Func<int, IReadOnlyList<string>> arguments)
    {
        Executable = executable;
        Description = description;
        _arguments = arguments;
    }

    /// <summary>Gets the program started.</summary>
    public string Executable { get; }

    /// <summary>Gets a short description for messages (e.g. <c>multiprocess resource-tracker</c>).</summary>
    public string Description { get; }

    /// <summary>The engine's tracker: <c>COMMAND resource-tracker FD</c>.</summary>
    /// <param name="multiprocessCommand">Path of the <c>multiprocess</c> command.</param>
    /// <returns>The launcher.</returns>
    public static ResourceTrackerLauncher Engine(string multiprocessCommand) =>
        new(multiprocessCommand, "multiprocess resource-tracker", fd => [multiprocessCommand, "resource-tracker", Itoa(fd)]);

    /// <summary>CPython's tracker, exactly as <c>ResourceTracker.ensure_running</c> starts it.</summary>
    /// <param name="python">Path of the interpreter.</param>
    /// <param name="package"><c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</param>
    /// <returns>The launcher.</returns>
    public static ResourceTrackerLauncher Python(string python, string package = "multiprocessing") =>
        new(python, $"{package}.resource_tracker", fd => [python, "-c", $"from {package}.resource_tracker import main;main({Itoa(fd)})"]);

    /// <summary>
    /// The default: the <c>multiprocess</c> command named by <c>MULTIPROCESS_CLI</c>, else the one next to this
    /// application, else one on PATH; failing those, CPython's tracker run by <c>MULTIPROCESS_PYTHON</c> or
    /// <c>python3</c> on PATH.
    /// </summary>
    /// <returns>The launcher.</returns>
    /// <exception cref="FileNotFoundException">None of those exists; the message lists where it looked.</exception>
    public static ResourceTrackerLauncher FindDefault()
    {
        var candidates = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable(CommandVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            candidates.Add(fromEnvironment);
        }

        candidates.Add(Path.Combine(AppContext.BaseDirectory, "multiprocess"));
        candidates.AddRange(OnPath("multiprocess"));
        foreach (var c in candidates)
        {
            if (File.Exists(c))
            {
                return Engine(c);
            }
        }

        var pythons = new List<string>();
        var python = Environment.GetEnvironmentVariable(PythonVariable);
        if (!string.IsNullOrEmpty(python))
        {
            pythons.Add(python);
        }

        pythons.AddRange(OnPath("python3"));
        foreach (var p in pythons)
        {
            if (File.Exists(p))
            {
                return Python(p);
            }
        }

        throw new FileNotFoundException(
            "cannot start a resource tracker: no 'multiprocess' command (looked at $" + CommandVariable + ", "
            + string.Join(", ", candidates.Distinct()) + ") and no Python ($" + PythonVariable + ", python3 on PATH)");
    }

    /// <summary>The argv (argv[0] included) that runs the tracker reading fd <paramref name="fd"/>.</summary>
    /// <param name="fd">The fd number of the read end in the tracker process.</param>
    /// <returns>The argv.</returns>
    public IReadOnlyList<string> GetArguments(int fd) => _arguments(fd);

    /// <inheritdoc/>
    public override string ToString() => $"{Description} ({Executable})";

    private static string Itoa(int fd) => fd.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<string> OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program));
}
