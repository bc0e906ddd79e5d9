using System.Globalization;
using System.Text.RegularExpressions;

namespace Multiprocess.Processes;

/// <summary>
/// The command lines CPython's spawn start method gives the executable it starts (spawn.get_command_line and
/// resource_tracker.ensure_running), read back, so that a C# program set with <c>multiprocessing.set_executable</c>
/// can act as the child: <c>[exe, *flags, '-c', 'from multiprocessing.spawn import spawn_main;
/// spawn_main(tracker_fd=6, pipe_handle=11)', '--multiprocessing-fork']</c>, the frozen form <c>[exe,
/// '--multiprocessing-fork', 'tracker_fd=6', 'pipe_handle=11']</c>, and the tracker's <c>[exe, *flags, '-c',
/// 'from multiprocessing.resource_tracker import main;main(5)']</c>.
/// </summary>
/// <param name="Package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
/// <param name="TrackerFd">The resource tracker's write fd, or null.</param>
/// <param name="PipeHandle">The fd to read the two pickles from.</param>
public sealed partial record SpawnCommandLine(string Package, int? TrackerFd, int PipeHandle)
{
    /// <summary>The flag CPython puts last (or second, frozen) on a spawned child's command line.</summary>
    public const string ForkFlag = "--multiprocessing-fork";

    /// <summary>Reads a spawned child's command line (the arguments after the executable).</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="command">The parsed values.</param>
    /// <returns>Whether the arguments are a spawn_main command line.</returns>
    public static bool TryParse(IReadOnlyList<string> args, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SpawnCommandLine? command)
    {
        ArgumentNullException.ThrowIfNull(args);
        command = null;
        var keywords = new Dictionary<string, string>(StringComparer.Ordinal);
        var package = "multiprocessing";
        var c = IndexOf(args, "-c");
        if (c >= 0 && c + 1 < args.Count && args[^1] == ForkFlag)
        {
            var match = SpawnMainPattern().Match(args[c + 1]);
            if (!match.Success)
            {
                return false;
            }

            package = match.Groups[1].Value;
            foreach (var part in match.Groups[2].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    return false;
                }

                keywords[part[..eq].Trim()] = part[(eq + 1)..].Trim();
            }
        }
        else if (args.Count >= 1 && args[0] == ForkFlag)
        {
            // spawn.freeze_support: name=value pairs, value None or an int.
            foreach (var part in args.Skip(1))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    return false;
                }

                keywords[part[..eq]] = part[(eq + 1)..];
            }
        }
        else
        {
            return false;
        }

        if (!keywords.TryGetValue("pipe_handle", out var pipe) || !TryInt(pipe, out var pipeHandle) || pipeHandle is null)
        {
            return false;
        }

        int? tracker = null;
        if (keywords.TryGetValue("tracker_fd", out var trackerText) && !TryInt(trackerText, out tracker))
        {
            return false;
        }

        command = new SpawnCommandLine(package, tracker, pipeHandle.Value);
        return true;
    }

    /// <summary>Reads the resource tracker's command line (<c>-c 'from multiprocessing.resource_tracker import
    /// main;main(FD)'</c>).</summary>
    /// <param name="args">The arguments after the executable.</param>
    /// <param name="fd">The fd the tracker reads.</param>
    /// <returns>Whether the arguments are that command line.</returns>
    public static bool TryParseResourceTracker(IReadOnlyList<string> args, out int fd)
    {
        ArgumentNullException.ThrowIfNull(args);
        fd = -1;
        var c = IndexOf(args, "-c");
        if (c < 0 || c + 1 >= args.Count)
        {
            return false;
        }

        var match = TrackerPattern().Match(args[c + 1]);
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out fd);
    }

    /// <summary>Why a program cannot act on a Python parent's request to be its forkserver (forkserver.ensure_running
    /// with this program as the executable: <c>[exe, *flags, '-c', '[import sys; ]from multiprocessing.forkserver
    /// import main; main(...)', *argv]</c>), or null for any other command line. A forkserver forks Python children from
    /// one Python process and never runs the executable for a child: C# children need the spawn start method.</summary>
    /// <param name="args">The arguments after the executable.</param>
    /// <returns>The reason and the fix, or null.</returns>
    internal static string? ForkServerRefusal(IReadOnlyList<string> args)
    {
        var c = IndexOf(args, "-c");
        if (c < 0 || c + 1 >= args.Count)
        {
            return null;
        }

        foreach (var package in (string[])["multiprocessing", "multiprocess"])
        {
            if (args[c + 1].Contains($"from {package}.forkserver import main;", StringComparison.Ordinal))
            {
                return $"started as {package}'s forkserver ('-c ... from {package}.forkserver import main'): a Python "
                    + "parent made this program its executable (set_executable) and then used the forkserver start "
                    + "method, CPython 3.14's default on Linux. A forkserver forks Python children from one Python "
                    + "process and never runs the executable for a child (nor does fork), so C# children need the spawn "
                    + $"start method: {package}.get_context('spawn').Process(...) (docs/forkserver.md)";
            }
        }

        return null;
    }

    private static int IndexOf(IReadOnlyList<string> args, string value)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryInt(string text, out int? value)
    {
        value = null;
        if (text == "None")
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            value = v;
            return true;
        }

        return false;
    }

    [GeneratedRegex(@"^from (multiprocessing|multiprocess)\.spawn import spawn_main; spawn_main\(([^)]*)\)$")]
    private static partial Regex SpawnMainPattern();

    [GeneratedRegex(@"^from (?:multiprocessing|multiprocess)\.resource_tracker import main;\s*main\((\d+)\)$")]
    private static partial Regex TrackerPattern();
}
