using Multiprocess.Internal;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// The host's Python code, <c>python/multiprocess_dotnet/_pyhost.py</c>, embedded in this assembly and run with
/// <c>python -c</c>: a user of the CLI needs nothing installed in the host's interpreter but the peer library. The
/// same text is importable as the module <see cref="ModuleName"/> from <see cref="ModuleDirectory"/>, for Python
/// processes the server starts that need a piece of it (the Pool workers' <c>initialize</c>).
/// </summary>
internal static class HostSource
{
    /// <summary>The module name the text is importable as from <see cref="ModuleDirectory"/>.</summary>
    public const string ModuleName = "_multiprocess_pyhost";

    private static readonly Lazy<string> s_moduleDirectory = new(WriteModule, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string? s_text;

    public static string Text => s_text ??= Load();

    /// <summary>Gets a folder holding <c>_multiprocess_pyhost.py</c> (the text above), for a child's <c>sys.path</c>:
    /// in this process's private temporary folder (<see cref="TempDirectory"/>, mode 0700, removed at exit), written
    /// on first use.</summary>
    public static string ModuleDirectory => s_moduleDirectory.Value;

    private static string Load()
    {
        using var stream = typeof(HostSource).Assembly.GetManifestResourceStream("Multiprocess.pyhost.py")
            ?? throw new InvalidOperationException("the embedded resource Multiprocess.pyhost.py (python/multiprocess_dotnet/_pyhost.py) is missing from the engine assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string WriteModule()
    {
        var directory = Path.Combine(TempDirectory.Path, "pyhost");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, ModuleName + ".py");
        var partial = path + ".partial";
        File.WriteAllText(partial, Text);
        File.Move(partial, path, overwrite: true);   // whole or absent: a child never imports half a file
        return directory;
    }
}
