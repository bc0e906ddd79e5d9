using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// Runs the verbs of the Python referent contract (docs/python-host.md; its Python half is
/// <c>python/multiprocess_dotnet/_pyhost.py</c>) in a Python interpreter. Two backends: the shim's interpreter that
/// hosts the server in-process (a callback, Multiprocess.Interop), and a separate host process that
/// <c>multiprocess serve</c> drives over a pipe (<see cref="PythonHost"/>).
/// </summary>
internal interface IPythonRunner
{
    /// <summary>Gets the interpreter for errors and logs, e.g. <c>the Python host (pid 1234, /usr/bin/python3)</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Runs one request and returns its unpickled result. <paramref name="generation"/> names the interpreter that
    /// holds the objects the request refers to: 0 on input takes the current one (and reports it back); any other
    /// value must still be current, or the call fails with <see cref="PythonHostLostException"/>.
    /// </summary>
    /// <exception cref="PyRaisedException">Python raised: the exception travels on to the client.</exception>
    /// <exception cref="PythonHostLostException">The interpreter that held the objects died, or no interpreter can run.</exception>
    /// <exception cref="SessionAbortedException">The client hung up while the call ran.</exception>
    object? Invoke(PyTuple request, SharedCallContext? context, ref long generation);
}
