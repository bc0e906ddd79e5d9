using System.Diagnostics;

namespace Multiprocess.TestUtilities;

/// <summary>
/// The CPython peers installed on this machine (pyenv 3.8–3.13). A peer that is expected but missing is a
/// failure, never a silent skip: <see cref="All"/> throws with the folder it searched.
/// </summary>
public static class PythonInterpreters
{
    /// <summary>The minor versions every interop test runs against.</summary>
    public static readonly IReadOnlyList<string> SupportedVersions = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];

    private static readonly Lazy<IReadOnlyDictionary<string, string>> s_found = new(Discover);

    /// <summary>Every supported version mapped to the path of its interpreter.</summary>
    /// <exception cref="InvalidOperationException">A supported version is not installed.</exception>
    public static IReadOnlyDictionary<string, string> All
    {
        get
        {
            var found = s_found.Value;
            var missing = SupportedVersions.Where(v => !found.ContainsKey(v)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException(
                    $"CPython {string.Join(", ", missing)} not found under {PyenvRoot()}/versions "
                    + "(set MULTIPROCESS_PYENV_ROOT or install them with pyenv)");
            }

            return found;
        }
    }

    /// <summary>
    /// The version that runs inside the peer root (scripts/peer-root.sh, a Debian testing root with CPython 3.14 and
    /// multiprocess 0.70.19), started through <c>scripts/python3.14</c> (scripts/peer-run.sh; /tmp, /dev/shm, the network and
    /// the repository are shared with the host). Tests add it to their matrix where the issue asks: it costs a
    /// sandbox start per process.
    /// </summary>
    public const string PeerRootVersion = "3.14";

    /// <summary>The interpreter for one minor version, e.g. "3.12", or "3.14" (the peer root's launcher).</summary>
    /// <exception cref="InvalidOperationException">That version is not installed, or the peer root was not built.</exception>
    public static string Get(string version)
    {
        if (version == PeerRootVersion)
        {
            return PeerRootPython();
        }

        return All.TryGetValue(version, out var path)
            ? path
            : throw new InvalidOperationException($"CPython {version} is not a supported peer version");
    }

    /// <summary>scripts/python3.14, once the peer root is there (a missing root is a failure that says how to build it).</summary>
    /// <exception cref="InvalidOperationException">The peer root was not built.</exception>
    public static string PeerRootPython()
    {
        var repo = EngineCommands.RepoRoot;
        var root = Environment.GetEnvironmentVariable("MULTIPROCESS_PEER_ROOT") is { Length: > 0 } r ? r : Path.Combine(repo, ".cache", "peer-root");
        if (!File.Exists(Path.Combine(root, ".peer-root-complete")))
        {
            throw new InvalidOperationException(
                $"CPython 3.14 needs the peer root at {root} (scripts/setup.sh builds it with scripts/peer-root.sh; see docs/versions.md)");
        }

        return Path.Combine(repo, "scripts", "python3.14");
    }

    /// <summary>Versions as NUnit test-case sources: <c>[TestCaseSource(typeof(PythonInterpreters), nameof(Versions))]</c>.</summary>
    public static IEnumerable<string> Versions => SupportedVersions;

    /// <summary>
    /// <see cref="Versions"/> and <see cref="PeerRootVersion"/> (3.14, in the peer root): the matrix of the peer
    /// fixtures the issue extends to 3.14 (Pool, Queue, SemLock, SharedMemory). A missing root fails those cases with
    /// the message of <see cref="PeerRootPython"/>, never a skip.
    /// </summary>
    public static IEnumerable<string> VersionsWithPeerRoot => [.. SupportedVersions, PeerRootVersion];

    /// <summary><c>pickle.DEFAULT_PROTOCOL</c> of a minor version: 4, and 5 from 3.14 (what its ForkingPickler writes when
    /// no protocol is given, e.g. spawn's preparation data).</summary>
    /// <param name="version">A minor version, e.g. "3.14".</param>
    /// <returns>The protocol.</returns>
    public static int DefaultPickleProtocol(string version) => Version.Parse(version) >= new Version(3, 14) ? 5 : 4;

    private static string PyenvRoot()
    {
        var env = Environment.GetEnvironmentVariable("MULTIPROCESS_PYENV_ROOT")
                  ?? Environment.GetEnvironmentVariable("PYENV_ROOT");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
    }

    private static IReadOnlyDictionary<string, string> Discover()
    {
        var result = new Dictionary<string, string>();
        var versions = Path.Combine(PyenvRoot(), "versions");
        if (!Directory.Exists(versions))
        {
            return result;
        }

        foreach (var dir in Directory.GetDirectories(versions).OrderBy(d => d, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            var parts = name.Split('.');
            if (parts.Length < 2)
            {
                continue;
            }

            var minor = parts[0] + "." + parts[1];
            var exe = Path.Combine(dir, "bin", "python3");
            if (SupportedVersions.Contains(minor) && File.Exists(exe))
            {
                result[minor] = exe;
            }
        }

        return result;
    }

    /// <summary>Runs <paramref name="python"/> with a script on -c and returns its stdout; throws with stderr on failure.</summary>
    /// <exception cref="InvalidOperationException">The interpreter exited with a non-zero status.</exception>
    /// <exception cref="TimeoutException">It did not finish within <paramref name="timeout"/>.</exception>
    public static string RunScript(string python, string script, TimeSpan timeout, IEnumerable<string>? args = null)
    {
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args ?? [])
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{python} -c ... did not finish within {timeout}");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{python} exited with {p.ExitCode}: {stderr.Result}");
        }

        return stdout.Result;
    }
}
