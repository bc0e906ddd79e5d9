using Multiprocess.Processes;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Processes;

/// <summary>Where the Python targets of these tests live (Python/mp_test_targets.py, copied next to the tests), and
/// start options for one CPython version.</summary>
internal static class PythonTargets
{
    public const string Module = "mp_test_targets";

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Python");

    public static PythonInterpreter Interpreter(string version) => PythonInterpreter.FromPath(PythonInterpreters.Get(version));

    public static PythonProcessOptions Options(string version, bool capture = false) => new()
    {
        Interpreter = Interpreter(version),
        SysPath = [Directory],
        CaptureOutput = capture,
    };

    public static string Target(string function) => Module + ":" + function;
}
