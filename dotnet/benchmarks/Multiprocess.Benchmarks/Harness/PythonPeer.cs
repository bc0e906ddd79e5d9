using System.Diagnostics;
using System.Text.Json;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// Runs a Python benchmark script (python/*.py, built on bench_common.py) that times its own loop and prints one
/// JSON object per line: <c>{"case": ..., "impl": ..., "min_ns": ..., "median_ns": ..., "samples": ..., "ops": ...}</c>.
/// </summary>
public static class PythonPeer
{
    /// <summary>Starts the script and returns its result lines as stats keyed by (case, impl).</summary>
    /// <exception cref="InvalidOperationException">The script failed; the message carries its stderr.</exception>
    public static IReadOnlyList<(string Case, string Impl, Stats Stats)> Run(
        BenchContext context, string script, IEnumerable<string> args, TimeSpan timeout)
    {
        using var p = Start(context, script, args, redirectStdin: false);
        var stderr = p.StandardError.ReadToEndAsync();
        var lines = new List<(string, string, Stats)>();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) != null)
        {
            if (line.StartsWith('{'))
            {
                lines.Add(Parse(line));
            }
        }

        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within {timeout}");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} exited with {p.ExitCode}: {stderr.Result}");
        }

        return lines;
    }

    /// <summary>Starts the script with redirected stdout/stderr (and stdin if asked), for suites that talk to it.</summary>
    public static Process Start(BenchContext context, string script, IEnumerable<string> args, bool redirectStdin)
    {
        var psi = new ProcessStartInfo(context.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
        };
        foreach (var a in Arguments(context, script, args))
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {context.Python}");
    }

    /// <summary>
    /// A peer script the suite talks to: it prints one line when ready (its address, or its implementation's name), then
    /// answers on stdout what the suite writes to its stdin, and ends when its stdin closes (10 s, then killed with its
    /// children: a CPython manager's server process).
    /// </summary>
    public static ServerProcessOptions Talking { get; } = new()
    {
        ReadyPrefix = "",
        ReadyTimeout = TimeSpan.FromSeconds(60),
        RedirectStandardInput = true,
        ExitGrace = TimeSpan.FromSeconds(10),
        KillDescendants = true,
    };

    /// <summary>
    /// Starts the script as a peer the suite talks to and waits for its ready line (<see cref="ServerProcess"/>: the
    /// timeout, the error and the stop by pid).
    /// </summary>
    /// <exception cref="InvalidOperationException">It exited before its ready line.</exception>
    /// <exception cref="TimeoutException">No ready line in time; it was killed.</exception>
    public static ServerProcess StartServer(BenchContext context, string script, IEnumerable<string> args, ServerProcessOptions options) =>
        ServerProcess.Start(context.Python, Arguments(context, script, args), options);

    /// <summary>The script's path, its arguments, and <c>--smoke</c> in a smoke run.</summary>
    private static IEnumerable<string> Arguments(BenchContext context, string script, IEnumerable<string> args) =>
        args.Prepend(Path.Combine(context.ScriptDirectory, script)).Concat(context.Smoke ? ["--smoke"] : []);

    /// <summary>Parses one result line.</summary>
    public static (string Case, string Impl, Stats Stats) Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var stats = new Stats(
            r.GetProperty("min_ns").GetDouble(),
            r.GetProperty("median_ns").GetDouble(),
            r.GetProperty("samples").GetInt32(),
            r.GetProperty("ops").GetInt64())
        {
            Note = r.TryGetProperty("note", out var note) ? note.GetString() : null,
            Ratio = r.TryGetProperty("ratio", out var ratio) ? ratio.GetDouble() : 0,
        };
        return (r.GetProperty("case").GetString()!, r.GetProperty("impl").GetString()!, stats);
    }
}
