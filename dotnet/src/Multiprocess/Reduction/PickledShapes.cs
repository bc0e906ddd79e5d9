using Multiprocess.Pickle;

namespace Multiprocess.Reduction;

/// <summary>
/// Checks on the reduce structures CPython sends for shared objects, with errors that say what was expected and what
/// came; and the class globals, one instance per (package, name) so that the pickler memoizes repeated classes as
/// CPython does.
/// </summary>
internal static class PickledShapes
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), PyGlobal> s_globals = new();

    /// <summary>The class <c>{package}.{module}.{name}</c>, e.g. <c>multiprocessing.synchronize.Lock</c>.</summary>
    public static PyGlobal Global(string package, string module, string name)
    {
        ValidatePackage(package);
        return s_globals.GetOrAdd((package + "." + module, name), k => new PyGlobal(k.Item1, k.Item2));
    }

    /// <summary>Whether <paramref name="g"/> is <c>&lt;multiprocessing|multiprocess&gt;.{module}.{name}</c>.</summary>
    public static bool Is(object? g, string module, string name) =>
        g is PyGlobal global && global.Name == name
        && (global.Module == "multiprocessing." + module || global.Module == "multiprocess." + module);

    public static InvalidDataException Unexpected(string expected, object? found) =>
        new($"expected {expected}, found {Describe(found)}");

    public static string Describe(object? value) => value switch
    {
        null => "None",
        PyReduce r => $"a reduce of {r.Callable} with {r.Args.Count} argument(s) and state {Describe(r.State)}",
        PyTuple t => $"a tuple of {t.Count}",
        _ => $"{value.GetType().Name} {PyRepr.Repr(value)}",
    };

    private static void ValidatePackage(string package)
    {
        if (package is not ("multiprocessing" or "multiprocess"))
        {
            throw new ArgumentException($"package must be 'multiprocessing' or 'multiprocess', not '{package}'", nameof(package));
        }
    }
}
