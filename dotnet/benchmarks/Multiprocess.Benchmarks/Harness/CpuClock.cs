using System.Runtime.InteropServices;

namespace Multiprocess.Benchmarks.Harness;

/// <summary>
/// CPU time (user + system, all threads, exited ones included) of this process or another one, in nanoseconds, from
/// the kernel's CPU-time clocks: /proc/PID/stat's 10 ms ticks are too coarse for samples of 100 connects.
/// </summary>
public static partial class CpuClock
{
    private const int ClockProcessCpuTimeId = 2;

    /// <summary>This process's CPU time, ns.</summary>
    public static long Self() => Read(ClockProcessCpuTimeId, "this process");

    /// <summary>Another process's CPU time, ns: the clock clock_getcpuclockid(pid) names, MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED).</summary>
    /// <param name="pid">The process id.</param>
    /// <exception cref="InvalidOperationException">The clock cannot be read (the process is gone).</exception>
    public static long Of(int pid) => Read((~pid << 3) | 2, $"process {pid}");

    private static long Read(int clock, string whose)
    {
        if (ClockGetTime(clock, out var ts) != 0)
        {
            throw new InvalidOperationException($"clock_gettime of {whose}'s CPU clock failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, out Timespec ts);
}
