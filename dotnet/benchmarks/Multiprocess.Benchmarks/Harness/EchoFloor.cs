using System.Diagnostics;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// The floor of a blocking server on this machine: the bare echo server <c>scripts/echo-floor.c</c> (a thread per
/// connection: poll for input, recv, send, nothing else; copied next to this program as <c>native/echo-floor.c</c>), compiled
/// with gcc at run time into a temporary folder and started on an AF_UNIX path there. <c>manager-server</c> samples it
/// in the same rounds as the two managers, so the verdicts read a floor of the same minutes
/// (docs/manager-server/floor.md, "The floor in every run"). Disposing kills it and removes the folder.
/// </summary>
public sealed class EchoFloor : IDisposable
{
    /// <summary>The implementation name of its rows.</summary>
    public const string Name = "bare echo server (C)";

    /// <summary>The source's file name, as the verdicts cite it.</summary>
    public const string SourceName = "echo-floor.c";

    private static readonly TimeSpan s_compileTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(10);

    private readonly ServerProcess _process;
    private readonly string _folder;

    private EchoFloor(ServerProcess process, string folder, string address)
    {
        _process = process;
        _folder = folder;
        Address = address;
    }

    /// <summary>Gets the AF_UNIX path it listens on.</summary>
    public string Address { get; }

    /// <summary>Gets its process id (its CPU time is what the rows report).</summary>
    public int ProcessId => _process.Pid;

    /// <summary>
    /// Compiles and starts the echo server; returns null with <paramref name="skipped"/> saying why when gcc is not on
    /// PATH (the only reason to skip: the suite prints it and the verdicts repeat it).
    /// </summary>
    /// <param name="skipped">Why the floor is not measured, or null when it is.</param>
    /// <returns>The running server, or null.</returns>
    /// <exception cref="FileNotFoundException">The source is not next to the program (a build without it).</exception>
    /// <exception cref="InvalidOperationException">gcc failed, or the server did not print READY.</exception>
    /// <exception cref="TimeoutException">gcc or the server's start took too long.</exception>
    public static EchoFloor? Start(out string? skipped)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "native", SourceName);
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"the echo floor's source {source} is missing (the build copies scripts/{SourceName} there)", source);
        }

        var gcc = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "gcc"))
            .FirstOrDefault(File.Exists);
        if (gcc is null)
        {
            skipped = $"gcc not found on PATH ({Environment.GetEnvironmentVariable("PATH")}); scripts/setup.sh installs it";
            return null;
        }

        skipped = null;
        var folder = Directory.CreateTempSubdirectory("echo-floor-").FullName;
        try
        {
            var binary = Path.Combine(folder, "echo-floor");
            Compile(gcc, source, binary);
            var address = Path.Combine(folder, "echo.sock");
            return new EchoFloor(ServerProcess.Start(binary, [address], new ServerProcessOptions { ReadyTimeout = s_startTimeout }), folder, address);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            _process.Dispose();   // kills it by pid
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static void Compile(string gcc, string source, string binary)
    {
        var psi = new ProcessStartInfo(gcc) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-O2", "-pthread", source, "-o", binary })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {gcc}");
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(s_compileTimeout))
        {
            p.Kill();
            p.WaitForExit();
            throw new TimeoutException($"{gcc} -O2 -pthread {source} did not finish within {s_compileTimeout}");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{gcc} -O2 -pthread {source} exited with {p.ExitCode}: {output.Result}{errors.Result}");
        }
    }
}
