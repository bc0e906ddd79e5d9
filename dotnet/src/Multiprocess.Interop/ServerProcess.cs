using System.Net.Sockets;
using Multiprocess.Managers.Hosting;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// The engine as a manager server process of its own (<see cref="EntryPoints.Serve"/>), for the shim's
/// <c>Manager()</c> under the fork start method: as CPython starts its server in a child process, the shim starts
/// <c>_engine/multiprocess-dotnet-server</c> (a launcher of this library), so the Python process never loads .NET and
/// may fork freely (docs/native.md).
/// </summary>
/// <remarks>
/// Two sockets, passed by the owner as inherited fds, both framed as <see cref="HostFrames"/>:
/// <list type="bullet">
/// <item>control: the owner sends the verbs of <see cref="ControlRequests"/> (the same table as in-process, one at a
/// time); each reply is a status byte (0 result, 1 exception) and a pickle;</item>
/// <item>host: this process sends the owner the Python referent requests (<see cref="OwnerPython"/>).</item>
/// </list>
/// The process ends when its server stops (a client's <c>shutdown</c>, or <c>server_shutdown</c>) or when the owner
/// closes the control socket (it exited or was killed): the owner reaps it, as CPython joins its server process.
/// </remarks>
internal static class ServerProcess
{
    public static int Run(int controlFd, int hostFd, int ownerPid)
    {
        var control = FromFd(controlFd);
        using var controlStream = new NetworkStream(control, ownsSocket: true);
        using var owner = new OwnerPython(new NetworkStream(FromFd(hostFd), ownsSocket: true), ownerPid);
        ControlRequests.Python = owner;
        try
        {
            while (HostFrames.Read(controlStream) is { } frame)
            {
                var (status, reply, started) = Dispatch(frame.Payload);
                HostFrames.Write(controlStream, frame.Id, reply, status);
                if (started is { } server)
                {
                    WatchServer(server, control);
                }
            }
        }
        catch (IOException)
        {
            // The owner is gone mid-frame: the same as end of stream.
        }
        finally
        {
            ControlRequests.Dispatch(PyTuple.Create("servers_shutdown_all"));
        }

        return 0;
    }

    private static (byte Status, byte[] Reply, ManagerHost? Started) Dispatch(byte[] payload)
    {
        try
        {
            var request = PickleSerializer.Loads(payload, ControlRequests.UnpickleOptions);
            var result = ControlRequests.Dispatch(request);
            var started = request is PyTuple { Count: > 1 } r && StartedHandle(r[0], r[1], result) is { } handle
                ? ControlRequests.Find(handle)
                : null;
            return (0, PickleSerializer.Dumps(result), started);
        }
        catch (Exception e)
        {
            return (1, PickleSerializer.Dumps(PyException.FromException(e)), null);
        }
    }

    /// <summary>The server a request started: server_start's argument, or the handle server_open returns.</summary>
    private static long? StartedHandle(object? verb, object? first, object? result) => verb switch
    {
        "server_start" when first is long handle => handle,
        "server_open" when result is PyTuple { Count: 2 } opened && opened[0] is long handle => handle,
        _ => null,
    };

    /// <summary>When the server stops, the control socket is shut down: the loop above ends, and so does the process.</summary>
    private static void WatchServer(ManagerHost server, Socket control) =>
        new Thread(() =>
        {
            server.Server.WaitForShutdown();
            try
            {
                control.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already closed: the loop has ended.
            }
        })
        { IsBackground = true, Name = "manager server watcher" }.Start();

    private static Socket FromFd(int fd) => new(new SafeSocketHandle(fd, ownsHandle: true));
}
