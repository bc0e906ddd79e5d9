using Multiprocess.Managers.Protocol;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>One Python manager the client tests run against: a CPython version, the library, the socket family.</summary>
/// <param name="Version">The CPython minor version, e.g. "3.12".</param>
/// <param name="Library">multiprocessing (stdlib) or multiprocess (dill).</param>
/// <param name="Family">"inet" or "unix" (the library's default AF_UNIX address: a path, or an abstract name for multiprocess).</param>
public sealed record ManagerPeer(string Version, ManagerLibrary Library, string Family)
{
    /// <summary>The versions Debian bookworm's multiprocess 0.70.12.2 works with (fork start method); 0.70.19 runs on 3.14 in the peer root.</summary>
    public static readonly IReadOnlyList<string> MultiprocessVersions = ["3.10", "3.11", "3.12", "3.13"];

    /// <summary>
    /// Every CPython 3.8–3.14 over AF_INET and AF_UNIX, multiprocess 0.70.12 on 3.10–3.13 and 0.70.19 on 3.14 over
    /// their abstract sockets. 3.14 and 0.70.19 run inside the peer root (PythonInterpreters.PeerRootVersion).
    /// </summary>
    public static IEnumerable<ManagerPeer> All()
    {
        foreach (var version in (IEnumerable<string>)[.. Multiprocess.TestUtilities.PythonInterpreters.Versions, Multiprocess.TestUtilities.PythonInterpreters.PeerRootVersion])
        {
            yield return new ManagerPeer(version, ManagerLibrary.Multiprocessing, "inet");
            yield return new ManagerPeer(version, ManagerLibrary.Multiprocessing, "unix");
        }

        foreach (var version in MultiprocessVersions)
        {
            yield return new ManagerPeer(version, ManagerLibrary.Multiprocess, "unix");
        }

        yield return new ManagerPeer(Multiprocess.TestUtilities.PythonInterpreters.PeerRootVersion, ManagerLibrary.Multiprocess, "unix");
    }

    /// <summary>The Python package name.</summary>
    public string LibraryName => Library == ManagerLibrary.Multiprocess ? "multiprocess" : "multiprocessing";

    /// <summary>Gets a value indicating whether this peer is the dill-based multiprocess.</summary>
    public bool IsMultiprocess => Library == ManagerLibrary.Multiprocess;

    /// <inheritdoc/>
    public override string ToString() => $"{LibraryName}-{Version}-{Family}";
}
