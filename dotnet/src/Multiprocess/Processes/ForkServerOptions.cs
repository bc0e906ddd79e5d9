namespace Multiprocess.Processes;

/// <summary>How a <see cref="ForkServer"/> is started: the interpreter and environment every child it forks shares
/// (the children are copies of the server, so these are the server's, not each child's), and the modules imported
/// once in the server (CPython's <c>set_forkserver_preload</c>).</summary>
public sealed record ForkServerOptions
{
    /// <summary>Gets the interpreter; null for <see cref="PythonInterpreter.Default"/>.</summary>
    public PythonInterpreter? Interpreter { get; init; }

    /// <summary>Gets the package: <c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</summary>
    public string Package { get; init; } = "multiprocessing";

    /// <summary>Gets modules the server imports before it forks anything (CPython's <c>set_forkserver_preload</c>):
    /// each child then finds them already imported. Import errors are ignored, as in CPython.</summary>
    public IReadOnlyList<string> Preload { get; init; } = [];

    /// <summary>Gets directories put in front of the server's (hence every child's) <c>sys.path</c>, through
    /// <c>PYTHONPATH</c>.</summary>
    public IReadOnlyList<string> SysPath { get; init; } = [];

    /// <summary>Gets environment variables to add or replace in the server (and so in every child).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Gets interpreter flags placed before <c>-c</c>.</summary>
    public IReadOnlyList<string> InterpreterFlags { get; init; } = [];

    /// <summary>Gets whether clients must authenticate (3.14's authkey handshake); null decides by the interpreter's
    /// version (3.14 and later do).</summary>
    public bool? Authenticate { get; init; }
}
