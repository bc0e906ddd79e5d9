using System.Diagnostics;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Packaging;

/// <summary>
/// The NuGet packages as a user gets them (docs/packaging.md): <c>dotnet pack</c> into a folder, then, from that folder
/// only (a nuget.config that clears every other source, an empty package cache), a fresh console project with
/// <c>dotnet add package</c> run against CPython 3.12, and the tool installed with <c>--tool-path</c> serving a
/// CPython client. One fixture: the packing is done once for both.
/// </summary>
[TestFixture]
[Category("Packaging")]
[NonParallelizable]
public sealed class PackageConsumerTests
{
    private static readonly TimeSpan s_dotnetTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_peerTimeout = TimeSpan.FromSeconds(60);
    private const string KeyHex = "7061636b2d74657374";    // b"pack-test"

    private string _root = "";
    private string _packages = "";
    private string _version = "";
    private Dictionary<string, string> _env = [];

    private static string Python => PythonInterpreters.Get("3.12");

    private static string RestoredPackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string Peers => Path.Combine(AppContext.BaseDirectory, "Python", "pack_peers.py");

    [OneTimeSetUp]
    public void Pack()
    {
        _root = Path.Combine(Path.GetTempPath(), "mp-pack-" + Guid.NewGuid().ToString("N")[..12]);
        _packages = Path.Combine(_root, "packages");
        Directory.CreateDirectory(_root);
        _version = File.ReadAllText(Path.Combine(EngineCommands.RepoRoot, "version.txt")).Trim();
        _env = Commands.DotnetEnvironment(Path.Combine(_root, "nuget-cache"));

        // The packages from the build the tests run on (--no-build), as `dotnet pack` makes them.
        Commands.Run(
            "dotnet",
            ["pack", Path.Combine(EngineCommands.RepoRoot, "Multiprocess.sln"), "-c", EngineCommands.Configuration, "--no-build", "-nologo", "-o", _packages, "-nodeReuse:false"],
            EngineCommands.RepoRoot, _env, s_dotnetTimeout);

        // The engine's one dependency (ILogger's abstractions) and its own, as the registry serves them: copied from
        // the package folder the build restored into, a source of their own.
        var dependencies = Path.Combine(_root, "dependencies");
        Directory.CreateDirectory(dependencies);
        foreach (var id in new[] { "microsoft.extensions.logging.abstractions", "microsoft.extensions.dependencyinjection.abstractions" })
        {
            const string version = "10.0.0";
            File.Copy(Path.Combine(RestoredPackages, id, version, $"{id}.{version}.nupkg"), Path.Combine(dependencies, $"{id}.{version}.nupkg"));
        }

        // Only these folders: a package that needs anything else cannot restore.
        File.WriteAllText(Path.Combine(_root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_packages}" />
                <add key="dependencies" value="{dependencies}" />
              </packageSources>
            </configuration>
            """);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Test]
    public void EveryPackageAndItsSymbolsArePackedAtTheRepositoryVersion()
    {
        var files = Directory.GetFiles(_packages).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        string[] ids = ["Multiprocess", "Multiprocess.Celery", "Multiprocess.Cli", "Multiprocess.Pickle"];
        Assert.That(files, Is.EquivalentTo(ids.SelectMany(id => new[] { $"{id}.{_version}.nupkg", $"{id}.{_version}.snupkg" })));
    }

    [Test]
    public void ConsoleAppFromThePackagesTalksToCPython()
    {
        var app = Path.Combine(_root, "consumer");
        Commands.Run("dotnet", ["new", "console", "-o", app, "--no-update-check"], _root, _env, s_dotnetTimeout);
        foreach (var id in new[] { "Multiprocess", "Multiprocess.Pickle" })
        {
            Commands.Run("dotnet", ["add", "package", id, "--version", _version], app, _env, s_dotnetTimeout);
        }

        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram.Source);
        Commands.Run("dotnet", ["build", "-c", "Release", "-nologo", "-nodeReuse:false", "-o", Path.Combine(app, "out")], app, _env, s_dotnetTimeout);
        var exe = Path.Combine(app, "out", "consumer");

        // A C# Listener from the package, a CPython Client: one pickled round trip each way.
        var (listener, address) = Commands.StartReady(exe, ["listen", KeyHex], app, null, s_peerTimeout);
        using (listener)
        {
            var reply = Commands.Run(Python, [Peers, "client", address, KeyHex], app, null, s_peerTimeout);
            Assert.That(reply, Does.Contain("REPLY ('pong', 42, [b'y', 'x', 1.5])"));
            Assert.That(listener.WaitForExit(s_peerTimeout), Is.True, "the consumer's listener did not exit after its session");
            Assert.That(listener.ExitCode, Is.Zero, listener.StandardError.ReadToEnd());
        }

        // A CPython manager server, the C# client from the package: the dict the server holds sees both sides' values.
        var (server, managerAddress) = Commands.StartReady(Python, [Peers, "manager", KeyHex], app, null, s_peerTimeout);
        using (server)
        {
            try
            {
                var seen = Commands.Run(exe, ["manager", managerAddress, KeyHex], app, null, s_peerTimeout);
                Assert.That(seen, Does.Contain("DICT 2 {'from_python': ('tuple', 21), 'from_csharp': ('tuple', 42, [2.5, 'three', b'\\x04'])}"));
                server.StandardInput.WriteLine();
                server.StandardInput.Flush();
                var held = server.StandardOutput.ReadLineAsync();
                Assert.That(held.Wait(s_peerTimeout), Is.True, "the manager server did not report its dict");
                Assert.That(held.Result, Is.EqualTo("SERVER [('from_csharp', ('tuple', 42, [2.5, 'three', b'\\x04'])), ('from_python', ('tuple', 21))]"));
            }
            finally
            {
                Commands.Stop(server);
            }
        }
    }

    [Test]
    public void ToolInstalledFromThePackageServesCPython()
    {
        var tools = Path.Combine(_root, "tools");
        Commands.Run(
            "dotnet",
            ["tool", "install", "Multiprocess.Cli", "--version", _version, "--tool-path", tools, "--configfile", Path.Combine(_root, "nuget.config")],
            _root, _env, s_dotnetTimeout);
        var multiprocess = Path.Combine(tools, "multiprocess");
        Assert.That(File.Exists(multiprocess), Is.True, $"the tool's command is not at {multiprocess}");

        Assert.That(Commands.Run(multiprocess, ["version"], _root, null, s_peerTimeout), Does.Contain(_version));
        var (echo, address) = Commands.StartReady(multiprocess, ["echo", "serve", "127.0.0.1:0", "--authkey-hex", KeyHex], _root, null, s_peerTimeout);
        using (echo)
        {
            try
            {
                Assert.That(Commands.Run(Python, [Peers, "echo", address, KeyHex], _root, null, s_peerTimeout), Does.Contain("ECHOED"));
            }
            finally
            {
                Commands.Stop(echo);
            }
        }
    }
}
