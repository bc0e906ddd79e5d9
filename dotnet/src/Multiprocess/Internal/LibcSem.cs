using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// POSIX named semaphores from glibc, the calls CPython's <c>_multiprocessing.SemLock</c> makes (docs/native.md:
/// sem_open is variadic, and the fixed four-argument form is safe on x86-64 glibc).
/// </summary>
internal static partial class LibcSem
{
    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;

    /// <summary>glibc's SEM_VALUE_MAX (INT_MAX), CPython's <c>SemLock.SEM_VALUE_MAX</c> on Linux.</summary>
    internal const int SEM_VALUE_MAX = int.MaxValue;

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial IntPtr SemOpen(string name, int oflag);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial IntPtr SemOpen(string name, int oflag, uint mode, uint value);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_close", SetLastError = true)]
    internal static partial int SemClose(IntPtr sem);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int SemUnlink(string name);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_wait", SetLastError = true)]
    internal static partial int SemWait(IntPtr sem);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_trywait", SetLastError = true)]
    internal static partial int SemTryWait(IntPtr sem);

    /// <summary>glibc 2.30+: a timed wait against CLOCK_MONOTONIC, immune to wall-clock jumps (CPython uses
    /// sem_timedwait on CLOCK_REALTIME; the semaphore itself is the shared state, so the clock is private).</summary>
    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_clockwait", SetLastError = true)]
    internal static partial int SemClockWait(IntPtr sem, int clock, in Timespec absoluteTime);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_post", SetLastError = true)]
    internal static partial int SemPost(IntPtr sem);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_getvalue", SetLastError = true)]
    internal static partial int SemGetValue(IntPtr sem, out int value);

    // The uncontended path: calls that never block (trywait and getvalue are one atomic operation on the sem_t; post
    // adds a FUTEX_WAKE syscall only when someone sleeps), so the GC transition can be skipped (it costs more than the
    // call), and errno is read right after a failure with Marshal.GetLastSystemError (nothing runs in between).

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_trywait")]
    [SuppressGCTransition]
    internal static partial int SemTryWaitFast(IntPtr sem);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_post")]
    [SuppressGCTransition]
    internal static partial int SemPostFast(IntPtr sem);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sem_getvalue")]
    [SuppressGCTransition]
    internal static partial int SemGetValueFast(IntPtr sem, out int value);

    [LibraryImport(LibcShm.Libc, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static partial int ClockGetTime(int clock, out Timespec time);

    /// <summary>struct timespec on LP64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;

        /// <summary>The monotonic clock now plus <paramref name="timeout"/>, as an absolute deadline.</summary>
        public static Timespec MonotonicDeadline(TimeSpan timeout)
        {
            ClockGetTime(CLOCK_MONOTONIC, out var now);
            var ns = now.Nanoseconds + (timeout.Ticks * 100);
            return new Timespec
            {
                Seconds = now.Seconds + (ns / 1_000_000_000),
                Nanoseconds = ns % 1_000_000_000,
            };
        }
    }
}
