using Multiprocess.Managers.Protocol;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>One Python manager the client tests run against: a CPython version, the library, the socket family.</summary>
/// <param name="Version">The CPython minor version, e.g. "3.12".</param>
/// <param name="Library">multiprocessing (stdlib) or multiprocess (dill).</param>
/// <param name="Family">"inet" or "unix" (the library's default AF_UNIX address: a path, or an abstract name for multiprocess).</param>
public sealed record ManagerPeer(string Version, ManagerLibrary Library, string Family)
{
    /// <summary>The versions Debian's multiprocess 0.70.12.2 works with (fork start method).</summary>
    public static readonly IReadOnlyList<string> MultiprocessVersions = ["3.10", "3.11", "3.12", "3.13"];

    /// <summary>Every CPython 3.8–3.13 over AF_INET and AF_UNIX, and multiprocess on 3.10–3.13 over its abstract sockets.</summary>
    public static IEnumerable<ManagerPeer> All()
    {
        foreach (var version in Multiprocess.TestUtilities.PythonInterpreters.Versions)
        {
            yield return new ManagerPeer(version, ManagerLibrary.Multiprocessing, "inet");
            yield return new ManagerPeer(version, ManagerLibrary.Multiprocessing, "unix");
        }

        foreach (var version in MultiprocessVersions)
        {
            yield return new ManagerPeer(version, ManagerLibrary.Multiprocess, "unix");
        }
    }

    /// <summary>The Python package name.</summary>
    public string LibraryName => Library == ManagerLibrary.Multiprocess ? "multiprocess" : "multiprocessing";

    /// <summary>Gets a value indicating whether this peer is the dill-based multiprocess.</summary>
    public bool IsMultiprocess => Library == ManagerLibrary.Multiprocess;

    /// <inheritdoc/>
    public override string ToString() => $"{LibraryName}-{Version}-{Family}";
}
