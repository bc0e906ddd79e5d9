using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// posix_spawn and the pipe/fd/wait calls around it (docs/native.md "Spawning a CPython child without fork").
/// Sizes measured with gcc on glibc 2.36: posix_spawn_file_actions_t 80 B, posix_spawnattr_t 336 B, sigset_t 128 B;
/// <see cref="PosixSpawn"/> allocates more, zeroed.
/// </summary>
internal static partial class LibcSpawn
{
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;

    internal const int SIGINT = 2;
    internal const int SIGKILL = 9;
    internal const int SIGTERM = 15;

    internal const int F_GETFD = 1;
    internal const int F_SETFD = 2;
    internal const int FD_CLOEXEC = 1;

    internal const int WNOHANG = 1;

    internal const int SIG_UNBLOCK = 1;
    internal static readonly IntPtr SIG_IGN = 1;

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, IntPtr argv, IntPtr envp);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn_file_actions_init")]
    internal static partial int FileActionsInit(IntPtr fileActions);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static partial int FileActionsDestroy(IntPtr fileActions);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static partial int FileActionsAddDup2(IntPtr fileActions, int fd, int newFd);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn_file_actions_addclose")]
    internal static partial int FileActionsAddClose(IntPtr fileActions, int fd);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int FileActionsAddOpen(IntPtr fileActions, int fd, string path, int oflag, uint mode);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    internal static partial int FileActionsAddCloseFrom(IntPtr fileActions, int from);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawnattr_init")]
    internal static partial int AttrInit(IntPtr attributes);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawnattr_destroy")]
    internal static partial int AttrDestroy(IntPtr attributes);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawnattr_setflags")]
    internal static partial int AttrSetFlags(IntPtr attributes, short flags);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static partial int AttrSetSigMask(IntPtr attributes, IntPtr sigset);

    [LibraryImport(LibcShm.Libc, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static partial int AttrSetSigDefault(IntPtr attributes, IntPtr sigset);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sigemptyset")]
    internal static partial int SigEmptySet(IntPtr sigset);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sigfillset")]
    internal static partial int SigFillSet(IntPtr sigset);

    [LibraryImport(LibcShm.Libc, EntryPoint = "sigaddset")]
    internal static partial int SigAddSet(IntPtr sigset, int signal);

    /// <summary>signal(2): sets a signal's disposition (here only SIG_IGN); returns the previous one.</summary>
    [LibraryImport(LibcShm.Libc, EntryPoint = "signal")]
    internal static partial IntPtr Signal(int signal, IntPtr handler);

    /// <summary>pthread_sigmask(3): changes the calling thread's signal mask (<paramref name="oldSet"/> may be 0).</summary>
    [LibraryImport(LibcShm.Libc, EntryPoint = "pthread_sigmask")]
    internal static partial int ThreadSigMask(int how, IntPtr set, IntPtr oldSet);

    [LibraryImport(LibcShm.Libc, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport(LibcShm.Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
