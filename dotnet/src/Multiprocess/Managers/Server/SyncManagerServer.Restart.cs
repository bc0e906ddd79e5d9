using System.Net.Sockets;
using Multiprocess.Connection;

namespace Multiprocess.Managers.Server;

/// <summary>Starting again on the address of a server that stopped (docs/xmlrpc.md, "Restarting a server").</summary>
public sealed partial class SyncManagerServer
{
    /// <summary>
    /// Removes the socket file a killed server left at <paramref name="address"/>, so that a new server can bind it:
    /// only a socket file that nothing answers on (connect refused). A live server's file, and any other file, stay,
    /// and the bind then fails with "Address already in use" as in CPython. TCP needs nothing: the listener sets
    /// SO_REUSEADDR.
    /// </summary>
    /// <returns>Whether a stale file was removed.</returns>
    internal static bool RemoveStaleSocketFile(ConnectionAddress address)
    {
        if (address is not UnixPathAddress { Path: var path })
        {
            return false;
        }

        if (!IsSocketFile(path))
        {
            return false;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return false;   // someone serves there
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            try
            {
                File.Delete(path);
                return true;
            }
            catch (Exception d) when (d is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a socket file: open(2) of a socket fails with ENXIO, of anything else it
    /// succeeds or fails otherwise (O_NONBLOCK so a FIFO does not block, O_NOFOLLOW so a symlink is not followed).
    /// </summary>
    private static bool IsSocketFile(string path)
    {
        const int O_NONBLOCK = 0x800, O_NOFOLLOW = 0x20000, ENXIO = 6;
        var fd = Internal.LibcShm.Open(path, Internal.LibcShm.O_RDONLY | O_NONBLOCK | O_NOFOLLOW | Internal.LibcShm.O_CLOEXEC, 0);
        if (fd >= 0)
        {
            Internal.LibcPipe.Close(fd);
            return false;
        }

        return System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == ENXIO;
    }
}
