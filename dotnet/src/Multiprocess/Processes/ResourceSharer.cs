using System.Collections.Concurrent;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.Processes;

/// <summary>
/// CPython's <c>multiprocessing.resource_sharer</c> (docs/protocols.md §2.3), the side other processes talk to: fds this
/// process offers (a Connection put on a queue, outside spawning) wait under a key, and a background thread serves
/// them one time each over a Listener authenticated with <see cref="CurrentProcess.AuthKey"/>: a receiver connects,
/// sends <c>(key, pid)</c> and gets the fd by SCM_RIGHTS.
/// </summary>
/// <remarks>
/// <code>
///   receiver (DupFd.detach)                           this process (_ResourceSharer._serve)
///   1. Client(address, authkey)           ─────────▶  accept + handshake
///   2. send((key, os.getpid()))           ─────────▶  pop key → sendfds(conn, [dup]) → close(dup)
///   3. recvfds(conn, 1)                   ◀─────────  one data byte + SCM_RIGHTS [fd]
///   (stop: Client(address).send(None) ends the thread)
/// </code>
/// </remarks>
internal sealed class ResourceSharer
{
    private static readonly Lazy<ResourceSharer> s_default = new(() => new ResourceSharer());

    private readonly object _gate = new();
    private readonly ConcurrentDictionary<long, int> _cache = new();
    private Listener? _listener;
    private long _key;

    public static ResourceSharer Default => s_default.Value;

    /// <summary>resource_sharer.DupFd(fd): duplicates the fd and offers the copy under a fresh key.</summary>
    public ResourceSharerFd Share(int fd)
    {
        var dup = LibcPipe.Dup(fd);
        if (dup < 0)
        {
            ThrowHelper.ThrowErrno($"dup(fd {fd})", ThrowHelper.LastErrno);
        }

        SocketNative.SetCloseOnExec(dup);
        lock (_gate)
        {
            if (_listener is null)
            {
                _listener = new Listener(backlog: 128, authKey: CurrentProcess.AuthKey);
                new Thread(Serve) { IsBackground = true, Name = "ResourceSharer" }.Start(_listener);
            }

            var key = ++_key;
            _cache[key] = dup;
            return new ResourceSharerFd(_listener.Address, key);
        }
    }

    private void Serve(object? state)
    {
        var listener = (Listener)state!;
        while (!listener.Closed)
        {
            try
            {
                using var conn = listener.Accept();
                var message = PickleSerializer.Loads(conn.RecvBytes(maxLength: 4096));
                if (message is null)
                {
                    return;
                }

                if (message is not PyTuple { Count: 2 } request || request[0] is not long key)
                {
                    throw new InvalidDataException($"resource_sharer: expected (key, pid), got {Pickle.PyRepr.Repr(message)}");
                }

                if (!_cache.TryRemove(key, out var fd))
                {
                    throw new InvalidDataException($"resource_sharer: no fd is offered under key {key} (each is sent once)");
                }

                try
                {
                    LibcScm.SendFds(conn.Fileno(), [fd]);
                }
                finally
                {
                    LibcPipe.Close(fd);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or AuthenticationException or EndOfStreamException or TimeoutException or UnpicklingException)
            {
                // stderr on purpose: CPython's resource_sharer._serve hands such an exception to sys.excepthook,
                // which prints it there, and goes on serving; a process-wide sharer has no logger of its own.
                Console.Error.WriteLine($"resource_sharer: {e.GetType().Name}: {e.Message}");
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }
}
