using Multiprocess.Pickle;

namespace Multiprocess.Managers.Protocol;

/// <summary>The Python names a manager client pickles, per package.</summary>
internal static class ManagerModules
{
    public const string Multiprocessing = "multiprocessing.managers";
    public const string Multiprocess = "multiprocess.managers";

    public static string Of(ManagerLibrary library) => library == ManagerLibrary.Multiprocess ? Multiprocess : Multiprocessing;

    public static bool IsManagersModule(string module) =>
        string.Equals(module, Multiprocessing, StringComparison.Ordinal) || string.Equals(module, Multiprocess, StringComparison.Ordinal);

    public static PyGlobal Global(ManagerLibrary library, string name) => new(Of(library), name);
}
