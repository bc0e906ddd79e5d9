namespace Multiprocess.Benchmarks.Harness;

/// <summary>How a <see cref="ServerProcess"/> is started, recognised as ready and stopped.</summary>
public sealed record ServerProcessOptions
{
    /// <summary>
    /// Gets what its ready line starts with: <c>READY</c> (the engine's commands, the echo floor), or empty for the
    /// first line whatever it says (CPython peers that print their address or name first). Earlier lines are kept for
    /// the error message.
    /// </summary>
    public string ReadyPrefix { get; init; } = "READY";

    /// <summary>Gets how long it may take to print its ready line before it is killed and the start fails.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets a value indicating whether the suite writes to its stdin (a CPython peer taking batches).</summary>
    public bool RedirectStandardInput { get; init; }

    /// <summary>
    /// Gets a value indicating whether its stderr is drained by this process (its last lines kept for errors); false:
    /// it goes to this console, as where a suite counts this process's CPU per call and the child logs per call.
    /// </summary>
    public bool CaptureStandardError { get; init; } = true;

    /// <summary>
    /// Gets how long <see cref="ServerProcess.Stop"/> waits after closing its stdin before the kill; zero: killed at
    /// once. Only with <see cref="RedirectStandardInput"/>.
    /// </summary>
    public TimeSpan ExitGrace { get; init; }

    /// <summary>
    /// Gets a value indicating whether the stop kills its descendants too (by pid): a CPython manager server's own
    /// server process, the Python host of <c>serve --python</c>.
    /// </summary>
    public bool KillDescendants { get; init; }

    /// <summary>Gets extra environment variables.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
