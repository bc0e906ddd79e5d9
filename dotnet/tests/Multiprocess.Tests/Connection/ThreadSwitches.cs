using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocess.Internal;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// What the wait tests count: a thread's voluntary context switches (each sleep of a blocked read or poll is one),
/// read from /proc, and the raw fd of a socketpair's far end.
/// </summary>
internal static partial class ThreadSwitches
{
    /// <summary>The calling thread's kernel id, for <see cref="Voluntary"/> from another thread.</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int CurrentTid();

    /// <summary>The voluntary context switches of thread <paramref name="tid"/> of this process so far.</summary>
    public static long Voluntary(int tid) =>
        long.Parse(File.ReadLines($"/proc/self/task/{tid}/status").First(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)).Split(':')[1].Trim(), CultureInfo.InvariantCulture);

    /// <summary>Closes a raw fd (the test's end of a socketpair).</summary>
    public sealed class OwnedFd(int fd) : IDisposable
    {
        public void Dispose() => SocketNative.Close(fd);
    }
}
