using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Multiprocess.Processes;

/// <summary>
/// A CPython interpreter to start children with, chosen by path or by version (<c>"3.12"</c>: the newest
/// <c>3.12.*</c> under pyenv, else <c>python3.12</c> on PATH).
/// </summary>
/// <example><code>
/// var python = PythonInterpreter.Resolve("3.12");            // or a path: "/usr/bin/python3"
/// Console.WriteLine($"{python.Path} is CPython {python.Version}");
/// </code></example>
public sealed partial class PythonInterpreter
{
    /// <summary>The environment variable naming the default interpreter (a path or a version such as 3.12).</summary>
    public const string PythonVariable = "MULTIPROCESS_PYTHON";

    private readonly Lazy<Version> _version;

    private PythonInterpreter(string path, Version? knownVersion)
    {
        Path = path;
        _version = new Lazy<Version>(() => knownVersion ?? QueryVersion(path));
    }

    /// <summary>Gets the interpreter's path.</summary>
    public string Path { get; }

    /// <summary>Gets the interpreter's version (major.minor.micro), asking the interpreter once if the path did not
    /// tell.</summary>
    /// <exception cref="InvalidOperationException">The interpreter could not be run.</exception>
    public Version Version => _version.Value;

    /// <summary>Gets the default: <c>$MULTIPROCESS_PYTHON</c> (a path or a version), else <c>python3</c> on PATH.</summary>
    /// <exception cref="FileNotFoundException">Neither exists.</exception>
    public static PythonInterpreter Default
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(PythonVariable);
            if (!string.IsNullOrEmpty(configured))
            {
                return Resolve(configured);
            }

            return OnPath("python3").FirstOrDefault(File.Exists) is { } found
                ? new PythonInterpreter(found, null)
                : throw new FileNotFoundException($"no Python interpreter: ${PythonVariable} is not set and there is no python3 on PATH");
        }
    }

    /// <summary>Uses the interpreter at <paramref name="path"/>.</summary>
    /// <param name="path">The interpreter's path.</param>
    /// <returns>The interpreter.</returns>
    /// <exception cref="FileNotFoundException">No file is there.</exception>
    public static PythonInterpreter FromPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        return File.Exists(full)
            ? new PythonInterpreter(full, null)
            : throw new FileNotFoundException($"no Python interpreter at '{path}'", full);
    }

    /// <summary>Finds CPython <paramref name="version"/> (<c>"3.12"</c> or <c>"3.12.1"</c>): the newest matching pyenv
    /// installation (<c>$PYENV_ROOT</c> or <c>~/.pyenv</c>), else <c>python3.12</c> on PATH.</summary>
    /// <param name="version">major.minor or major.minor.micro.</param>
    /// <returns>The interpreter.</returns>
    /// <exception cref="ArgumentException"><paramref name="version"/> is not a version.</exception>
    /// <exception cref="FileNotFoundException">No such interpreter is installed; the message says where it looked.</exception>
    public static PythonInterpreter Find(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var match = VersionPattern().Match(version);
        if (!match.Success)
        {
            throw new ArgumentException($"'{version}' is not a Python version such as 3.12 or 3.12.1", nameof(version));
        }

        var minor = match.Groups[1].Value + "." + match.Groups[2].Value;
        var versions = System.IO.Path.Combine(PyenvRoot(), "versions");
        if (Directory.Exists(versions))
        {
            var best = Directory.GetDirectories(versions)
                .Select(d => (Dir: d, Version: Version.TryParse(System.IO.Path.GetFileName(d), out var v) ? v : null))
                .Where(x => x.Version is not null && (x.Version.Major + "." + x.Version.Minor) == minor
                            && (!match.Groups[3].Success || x.Version.Build.ToString(CultureInfo.InvariantCulture) == match.Groups[3].Value))
                .Select(x => (x.Version, Exe: System.IO.Path.Combine(x.Dir, "bin", "python" + minor)))
                .Where(x => File.Exists(x.Exe))
                .OrderByDescending(x => x.Version)
                .FirstOrDefault();
            if (best.Exe is not null)
            {
                return new PythonInterpreter(best.Exe, best.Version);
            }
        }

        if (!match.Groups[3].Success && OnPath("python" + minor).FirstOrDefault(File.Exists) is { } onPath)
        {
            return new PythonInterpreter(onPath, null);
        }

        throw new FileNotFoundException($"CPython {version} not found (looked under {versions} and for python{minor} on PATH)");
    }

    /// <summary>A path (anything with a slash, or an existing file) or a version such as <c>3.12</c>.</summary>
    /// <param name="pathOrVersion">The path or version.</param>
    /// <returns>The interpreter.</returns>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="ArgumentException">It is neither a path nor a version.</exception>
    public static PythonInterpreter Resolve(string pathOrVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathOrVersion);
        return pathOrVersion.Contains('/', StringComparison.Ordinal) || File.Exists(pathOrVersion)
            ? FromPath(pathOrVersion)
            : Find(pathOrVersion);
    }

    /// <inheritdoc/>
    public override string ToString() => Path;

    private static Version QueryVersion(string path)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import sys; print('%d.%d.%d' % sys.version_info[:3])");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not run {path}");
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill();
            throw new InvalidOperationException($"{path} did not report its version within 30 s");
        }

        return p.ExitCode == 0 && Version.TryParse(output.Result.Trim(), out var v)
            ? v
            : throw new InvalidOperationException($"{path} did not report its version (exit code {p.ExitCode})");
    }

    private static string PyenvRoot()
    {
        var env = Environment.GetEnvironmentVariable("PYENV_ROOT");
        return !string.IsNullOrEmpty(env) ? env
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pyenv");
    }

    private static IEnumerable<string> OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => System.IO.Path.Combine(dir, program));

    [GeneratedRegex(@"^(\d+)\.(\d+)(?:\.(\d+))?$")]
    private static partial Regex VersionPattern();
}
