using System.Runtime.InteropServices;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary><c>shm_unlink(3)</c> for SharedMemoryServer's tracked segments (libc.so.6 on glibc; see notes/native.md).</summary>
internal static partial class ShmNative
{
    private const int ENOENT = 2;

    /// <summary>Unlinks <c>/name</c> (Python's <c>_posixshmem.shm_unlink</c>).</summary>
    /// <exception cref="PyRaisedException">FileNotFoundError or OSError naming the segment.</exception>
    public static void Unlink(string name)
    {
        var path = name.StartsWith('/') ? name : "/" + name;
        if (shm_unlink(path) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var text = Marshal.GetPInvokeErrorMessage(errno);
            throw new PyRaisedException(PyException.Builtin(errno == ENOENT ? "FileNotFoundError" : "OSError", (long)errno, text, path));
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "shm_unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int shm_unlink(string name);
}
