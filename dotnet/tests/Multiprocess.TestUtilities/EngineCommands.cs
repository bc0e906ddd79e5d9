namespace Multiprocess.TestUtilities;

/// <summary>
/// Paths of the built programs tests start: the <c>multiprocess</c> command and the C# test peer, from the same build
/// configuration as the running tests. Missing builds are failures that name the path.
/// </summary>
public static class EngineCommands
{
    private static readonly Lazy<string> s_root = new(FindRepoRoot);

    /// <summary>Gets the repository root (the folder holding Multiprocess.sln).</summary>
    public static string RepoRoot => s_root.Value;

    /// <summary>Gets the build configuration of the running tests (Debug or Release).</summary>
    public static string Configuration =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent?.Name ?? "Release";

    /// <summary>Gets the <c>multiprocess</c> command.</summary>
    /// <exception cref="FileNotFoundException">It is not built.</exception>
    public static string Cli => Existing(Path.Combine(RepoRoot, "dotnet", "src", "Multiprocess.Cli", "bin", Configuration, "net10.0", "multiprocess"));

    /// <summary>Gets the C# test peer (<c>multiprocess-testpeer serve</c>).</summary>
    /// <exception cref="FileNotFoundException">It is not built.</exception>
    public static string TestPeer => Existing(Path.Combine(RepoRoot, "dotnet", "tests", "Multiprocess.TestPeer", "bin", Configuration, "net10.0", "multiprocess-testpeer"));

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"not built: {path} (dotnet build Multiprocess.sln -c {Configuration})", path);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Multiprocess.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException($"no Multiprocess.sln above {AppContext.BaseDirectory}");
    }
}
