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
        psi.ArgumentList.Add(Path.Combine(context.ScriptDirectory, script));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (context.Smoke)
        {
            psi.ArgumentList.Add("--smoke");
        }

        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {context.Python}");
    }

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
