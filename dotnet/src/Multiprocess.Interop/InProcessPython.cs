using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// The in-process backend of the Python referent contract (docs/python-host.md): requests run in the interpreter
/// that loaded the shim, through <see cref="PythonCallback"/>, on the serving thread with the GIL taken. There is one
/// interpreter for the life of the process, so one generation.
/// </summary>
internal sealed class InProcessPython : IPythonRunner
{
    public static InProcessPython Instance { get; } = new();

    public string Description => "the shim's Python interpreter";

    public object? Invoke(PyTuple request, SharedCallContext? context, ref long generation)
    {
        generation = 1;
        return PythonCallback.Invoke(request);
    }
}
