using System.Collections;
using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// Starts a program with posix_spawn, placing chosen fds at chosen numbers in the child (never fork: .NET is loaded
/// here). The recipe of docs/native.md: every source is first dup'ed to a scratch number above every source and
/// target, then dup2'ed to its target (so no source is clobbered, and the copy has FD_CLOEXEC clear); the gaps and
/// the scratch numbers are closed; fds 0–2 that are not targets are /dev/null.
/// </summary>
internal static unsafe class PosixSpawn
{
    // Generous zeroed blocks for the opaque glibc structs (80, 336 and 128 bytes measured).
    private const int FileActionsSize = 256;
    private const int AttributesSize = 1024;
    private const int SigsetSize = 256;

    /// <summary>Spawns <paramref name="path"/> and returns the child's pid.</summary>
    /// <param name="path">The program (no PATH search).</param>
    /// <param name="argv">The whole argv, argv[0] included.</param>
    /// <param name="fds">(source fd here, fd number in the child) pairs.</param>
    /// <param name="blockedSignals">Signals blocked in the child's initial mask (every other one unblocked; every
    /// handler reset to default, so the child does not inherit .NET's ignored SIGPIPE).</param>
    /// <param name="environment">Extra or replaced environment variables; the rest is this process's environment.</param>
    /// <exception cref="IOException">posix_spawn failed (e.g. the program does not exist).</exception>
    internal static int Start(
        string path,
        IReadOnlyList<string> argv,
        IReadOnlyList<(int Source, int Target)> fds,
        IReadOnlyList<int> blockedSignals,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var actions = (IntPtr)NativeMemory.AllocZeroed(FileActionsSize);
        var attributes = (IntPtr)NativeMemory.AllocZeroed(AttributesSize);
        var mask = (IntPtr)NativeMemory.AllocZeroed(SigsetSize);
        var defaults = (IntPtr)NativeMemory.AllocZeroed(SigsetSize);
        var argvBlock = StringArray(argv);
        var envBlock = StringArray(Environment(environment));
        try
        {
            Check(LibcSpawn.FileActionsInit(actions), "posix_spawn_file_actions_init");
            Check(LibcSpawn.AttrInit(attributes), "posix_spawnattr_init");
            AddFileActions(actions, fds);

            LibcSpawn.SigEmptySet(mask);
            foreach (var signal in blockedSignals)
            {
                LibcSpawn.SigAddSet(mask, signal);
            }

            LibcSpawn.SigFillSet(defaults);
            Check(LibcSpawn.AttrSetSigMask(attributes, mask), "posix_spawnattr_setsigmask");
            Check(LibcSpawn.AttrSetSigDefault(attributes, defaults), "posix_spawnattr_setsigdefault");
            Check(
                LibcSpawn.AttrSetFlags(attributes, LibcSpawn.POSIX_SPAWN_SETSIGMASK | LibcSpawn.POSIX_SPAWN_SETSIGDEF),
                "posix_spawnattr_setflags");

            // posix_spawn returns the error number itself rather than setting errno.
            var error = LibcSpawn.Spawn(out var pid, path, actions, attributes, argvBlock, envBlock);
            if (error != 0)
            {
                throw ThrowHelper.OSError(error, path);
            }

            return pid;
        }
        finally
        {
            LibcSpawn.FileActionsDestroy(actions);
            LibcSpawn.AttrDestroy(attributes);
            NativeMemory.Free((void*)actions);
            NativeMemory.Free((void*)attributes);
            NativeMemory.Free((void*)mask);
            NativeMemory.Free((void*)defaults);
            FreeStringArray(argvBlock);
            FreeStringArray(envBlock);
        }
    }

    /// <summary>Creates a pipe whose two ends are close-on-exec (children get only what is mapped explicitly).</summary>
    /// <exception cref="IOException">pipe2 failed.</exception>
    internal static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (LibcPipe.Pipe2(fds, LibcShm.O_CLOEXEC) < 0)
        {
            ThrowHelper.ThrowLastOSError();
        }

        return (fds[0], fds[1]);
    }

    /// <summary>Waits for a child, retrying on EINTR; returns the raw wait status, or null if it is not our child
    /// (ECHILD: someone else reaped it) or, with <paramref name="noHang"/>, still running.</summary>
    internal static int? Wait(int pid, bool noHang = false)
    {
        while (true)
        {
            var r = LibcSpawn.WaitPid(pid, out var status, noHang ? LibcSpawn.WNOHANG : 0);
            if (r == pid)
            {
                return status;
            }

            if (r == 0)
            {
                return null;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
            {
                continue;
            }

            return null;
        }
    }

    /// <summary>Python's <c>os.waitstatus_to_exitcode</c>: the exit status, or −signal.</summary>
    internal static int ExitCode(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f);

    private static void AddFileActions(IntPtr actions, IReadOnlyList<(int Source, int Target)> fds)
    {
        var targets = new HashSet<int>(fds.Select(f => f.Target));
        var scratch = Math.Max(2, fds.Count == 0 ? 0 : fds.Max(f => Math.Max(f.Source, f.Target))) + 1;

        // 1. every source to a scratch number above all sources and targets; 2. scratch to target.
        for (var i = 0; i < fds.Count; i++)
        {
            Check(LibcSpawn.FileActionsAddDup2(actions, fds[i].Source, scratch + i), "adddup2");
        }

        for (var i = 0; i < fds.Count; i++)
        {
            Check(LibcSpawn.FileActionsAddDup2(actions, scratch + i, fds[i].Target), "adddup2");
        }

        // 3. standard streams that nobody maps read and write /dev/null rather than being closed (a closed 0–2 is
        // reused by the child's next open and confuses runtimes that print).
        for (var fd = 0; fd <= 2; fd++)
        {
            if (!targets.Contains(fd))
            {
                var flags = fd == 0 ? LibcShm.O_RDONLY : LibcShm.O_WRONLY;
                Check(LibcSpawn.FileActionsAddOpen(actions, fd, "/dev/null", flags, 0), "addopen");
            }
        }

        // 4. the gaps below the scratch numbers (glibc ignores EBADF for these), then everything from scratch up.
        for (var fd = 3; fd < scratch; fd++)
        {
            if (!targets.Contains(fd))
            {
                Check(LibcSpawn.FileActionsAddClose(actions, fd), "addclose");
            }
        }

        Check(LibcSpawn.FileActionsAddCloseFrom(actions, scratch), "addclosefrom_np");
    }

    private static List<string> Environment(IReadOnlyDictionary<string, string>? overrides)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = (string?)e.Value ?? "";
        }

        foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        return env.Select(kv => kv.Key + "=" + kv.Value).ToList();
    }

    private static IntPtr StringArray(IReadOnlyList<string> strings)
    {
        var block = (IntPtr*)NativeMemory.AllocZeroed((nuint)(strings.Count + 1), (nuint)sizeof(IntPtr));
        for (var i = 0; i < strings.Count; i++)
        {
            block[i] = Marshal.StringToCoTaskMemUTF8(strings[i]);
        }

        return (IntPtr)block;
    }

    private static void FreeStringArray(IntPtr block)
    {
        var p = (IntPtr*)block;
        for (var i = 0; p[i] != IntPtr.Zero; i++)
        {
            Marshal.FreeCoTaskMem(p[i]);
        }

        NativeMemory.Free(p);
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new IOException($"posix_spawn: {what} failed with error {result}");
        }
    }
}
