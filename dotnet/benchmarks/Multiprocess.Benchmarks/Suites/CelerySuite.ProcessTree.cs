using System.Globalization;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>CPU time and context switches of a Celery worker and its prefork children, from /proc.</summary>
public sealed partial class CelerySuite
{
    /// <summary>User + system CPU time of a process and its children (Celery's prefork pool), from /proc/PID/stat.</summary>
    private static TimeSpan TreeCpu(int pid)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var p))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": state is field 0
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (p == pid || parent == pid)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        return TimeSpan.FromSeconds(ticks / (double)ClockTicks);
    }

    /// <summary>
    /// A process tree's CPU time (utime+stime) and context switches (every live thread's, voluntary and involuntary:
    /// the hand-offs between threads and processes a task costs; a thread that ends takes its count with it).
    /// </summary>
    private readonly record struct TreeCounters(double CpuTicks, long Switches)
    {
        public static TreeCounters operator +(TreeCounters a, TreeCounters b) => new(a.CpuTicks + b.CpuTicks, a.Switches + b.Switches);

        public static TreeCounters operator -(TreeCounters a, TreeCounters b) => new(a.CpuTicks - b.CpuTicks, a.Switches - b.Switches);

        public static TreeCounters Read(int pid)
        {
            var switches = 0L;
            foreach (var p in TreePids(pid))
            {
                try
                {
                    foreach (var task in Directory.EnumerateDirectories($"/proc/{p}/task"))
                    {
                        foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                        {
                            if (line.Contains("ctxt_switches:", StringComparison.Ordinal))
                            {
                                switches += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                            }
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Ended meanwhile.
                }
            }

            return new TreeCounters(TreeCpu(pid).TotalSeconds * ClockTicks, switches);
        }

        // Only live threads are counted: when threads ended during the run (a negative difference) there is no figure.
        public string Describe(long tasks) => string.Create(
            CultureInfo.InvariantCulture,
            $"{CpuTicks / ClockTicks / tasks * 1e6:F0} µs CPU, {(Switches >= 0 ? $"{(double)Switches / tasks:F1}" : "n/a (threads ended)")} context switches");
    }

    /// <summary>CPU ticks of a .NET process's tiered JIT thread (".NET Tiered Com…"): 0 when it has none, -1 when unreadable.</summary>
    private static long JitTicks(int pid)
    {
        long ticks = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                if (stat.AsSpan(open + 1, close - open - 1).StartsWith(".NET Tiered", StringComparison.Ordinal))
                {
                    var fields = stat[(close + 2)..].Split(' ');
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A thread ended meanwhile: the next batch reads again.
            return -1;
        }

        return ticks;
    }

    private static IEnumerable<int> TreePids(int pid)
    {
        yield return pid;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var p) && p != pid)
            {
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }

                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture) == pid)
                {
                    yield return p;
                }
            }
        }
    }

    private static readonly long ClockTicks = SysConf(2) is var t and > 0 ? t : 100; // _SC_CLK_TCK

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);
}
