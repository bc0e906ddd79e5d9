using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Processes;

/// <summary>How a <see cref="PythonProcess"/> (or a pool's workers) start: which interpreter, where, with which
/// <c>sys.path</c> and environment.</summary>
public sealed record PythonProcessOptions
{
    /// <summary>Gets the interpreter; null for <see cref="PythonInterpreter.Default"/>.</summary>
    public PythonInterpreter? Interpreter { get; init; }

    /// <summary>Gets directories put in front of the child's <c>sys.path</c> (through <c>PYTHONPATH</c>, ahead of any
    /// inherited one), so the target's module can be imported.</summary>
    public IReadOnlyList<string> SysPath { get; init; } = [];

    /// <summary>Gets the child's working directory (sent as the preparation data's <c>dir</c>, which the child
    /// <c>chdir</c>s to before importing the target); null for this process's current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Gets environment variables to add or replace in the child.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Gets interpreter flags placed before <c>-c</c> (CPython passes its own, e.g. <c>-B</c>).</summary>
    public IReadOnlyList<string> InterpreterFlags { get; init; } = [];

    /// <summary>Gets the start method the child adopts for its own children (preparation data
    /// <c>start_method</c>); spawn by default, so that its locks and queues are shareable by name.</summary>
    public string StartMethod { get; init; } = "spawn";

    /// <summary>Gets the package: <c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</summary>
    public string Package { get; init; } = "multiprocessing";

    /// <summary>Gets the registry that pickles the arguments; null for <see cref="ForkingPickler.GetRegistry"/>.</summary>
    public PyTypeRegistry? Registry { get; init; }

    /// <summary>Gets the resource tracker whose fd the child inherits as <c>tracker_fd</c>; null for
    /// <see cref="ResourceTracker.Default"/>.</summary>
    public ResourceTracker? Tracker { get; init; }

    /// <summary>Gets a value indicating whether the child's stdout and stderr are captured
    /// (<see cref="PythonProcess.StandardOutput"/>, <see cref="PythonProcess.StandardError"/>) instead of shared with
    /// this process.</summary>
    public bool CaptureOutput { get; init; }

    /// <summary>Gets the forkserver that forks the child (CPython's forkserver start method) instead of a new
    /// interpreter per child: one this process started (<c>new ForkServer(...)</c>) or a Python parent's
    /// (<see cref="ForkServer.Attach"/>). The server's interpreter, <c>sys.path</c> and environment then apply, not
    /// these options'; null for spawn (or <see cref="UseForkServer"/>).</summary>
    public ForkServer? ForkServer { get; init; }

    /// <summary>Gets a value indicating whether the child is forked by a forkserver this process starts for these
    /// options (interpreter, package, flags, <see cref="SysPath"/>, <see cref="Environment"/>) and shares with every
    /// child started with equal ones; stopped at exit. Ignored when <see cref="ForkServer"/> is set.</summary>
    public bool UseForkServer { get; init; }
}
