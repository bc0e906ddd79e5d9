using System.Diagnostics;
using System.Text;

namespace Multiprocess.Tests.Packaging;

/// <summary>
/// Runs the programs of a packaging test (dotnet, CPython, the installed tool) with a time limit, and long-running
/// peers that announce themselves with a <c>READY ...</c> line. A run that fails or times out throws with its output.
/// </summary>
internal static class Commands
{
    /// <summary>
    /// The environment of every dotnet command these tests start: a package cache of the test's own (so nothing is
    /// found that the local folder does not hold, and no stale package of an earlier run is reused), and no MSBuild
    /// node or compiler server left running after the command (it would hold the test's output pipes open).
    /// </summary>
    public static Dictionary<string, string> DotnetEnvironment(string packageCache) => new()
    {
        ["NUGET_PACKAGES"] = packageCache,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["UseSharedCompilation"] = "false",
    };

    /// <summary>Runs a command to its end; returns its standard output.</summary>
    /// <exception cref="AssertionException">It exited non-zero or outlived <paramref name="timeout"/>.</exception>
    public static string Run(
        string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? env, TimeSpan timeout, string? input = null)
    {
        using var process = new Process { StartInfo = StartInfo(file, args, workingDirectory, env) };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }

        process.StandardInput.Close();
        var described = Describe(file, args);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{described} did not finish within {timeout.TotalSeconds:F0} s\n{stdout}\n{stderr}");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Assert.Fail($"{described} exited {process.ExitCode} in {workingDirectory}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }

        return stdout.ToString();
    }

    /// <summary>Starts a peer and waits for its <c>READY ADDRESS</c> line; returns the process and the address.</summary>
    public static (Process Process, string Address) StartReady(
        string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? env, TimeSpan timeout)
    {
        var process = new Process { StartInfo = StartInfo(file, args, workingDirectory, env) };
        process.Start();
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(timeout) || line.Result is not { } ready || !ready.StartsWith("READY ", StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            var stderr = process.StandardError.ReadToEnd();
            process.Dispose();
            Assert.Fail($"{Describe(file, args)} did not print READY within {timeout.TotalSeconds:F0} s: {(line.IsCompleted ? line.Result : "(nothing)")}\n{stderr}");
        }

        return (process, line.Result!["READY ".Length..].Trim());
    }

    /// <summary>Ends a peer started by <see cref="StartReady"/> (its own process tree only); returns what it wrote to stderr.</summary>
    public static string Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        return process.StandardError.ReadToEnd();
    }

    private static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    private static string Describe(string file, IEnumerable<string> args) => Path.GetFileName(file) + " " + string.Join(' ', args);
}
