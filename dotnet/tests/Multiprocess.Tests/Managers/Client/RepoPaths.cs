namespace Multiprocess.Tests.ManagerClient;

/// <summary>Paths in the repository the manager client tests use (found from the test assembly's folder).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiprocess.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Multiprocess.sln not found above {AppContext.BaseDirectory}");
    });

    /// <summary>Gets the repository root.</summary>
    public static string Root => s_root.Value;

    /// <summary>Gets the Python manager server script.</summary>
    public static string ManagerServerScript => Path.Combine(Root, "dotnet", "tests", "Multiprocess.Tests", "Managers", "Client", "manager_server.py");

    /// <summary>Gets the folder that puts Debian's multiprocess and dill on PYTHONPATH (made by scripts/setup.sh); a missing one is a failure.</summary>
    public static string MultiprocessShim
    {
        get
        {
            var path = Path.Combine(Root, ".cache", "pyshim", "multiprocess");
            return Directory.Exists(Path.Combine(path, "multiprocess"))
                ? path
                : throw new InvalidOperationException($"{path} is missing: run scripts/setup.sh (it links Debian's python3-multiprocess and python3-dill)");
        }
    }
}
