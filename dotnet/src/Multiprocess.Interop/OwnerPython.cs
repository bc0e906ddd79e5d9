using System.Collections.Concurrent;
using System.Globalization;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Interop;

/// <summary>
/// The Python referent contract (docs/python-host.md) run by the process that started this server process: the
/// shim's <c>Manager()</c> under the fork start method (<see cref="ServerProcess"/>). Requests go over a socket the
/// owner passed at start, framed as with a host process (<see cref="HostFrames"/>: length, request id, pickle); the
/// owner runs each on a thread of its own (<c>python/multiprocess_dotnet/_server_process.py</c>) and answers with
/// the same id, in any order.
/// </summary>
/// <remarks>
/// There is no restart: the owner is the program itself. When its socket closes (it exited or was killed), every
/// call in flight and every later one fails with <see cref="PythonHostLostException"/>, and the server process ends
/// (its control socket closes too).
/// </remarks>
internal sealed class OwnerPython : IPythonRunner, IDisposable
{
    private readonly Stream _channel;
    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly object _write = new();
    private readonly int _ownerPid;
    private long _nextId;
    private int _lost;

    public OwnerPython(Stream channel, int ownerPid)
    {
        _channel = channel;
        _ownerPid = ownerPid;
        new Thread(ReadLoop) { IsBackground = true, Name = "owner python reader" }.Start();
    }

    public string Description => string.Create(CultureInfo.InvariantCulture, $"the Python process that started this manager server (pid {_ownerPid})");

    private bool Lost => Volatile.Read(ref _lost) != 0;

    public object? Invoke(PyTuple request, SharedCallContext? context, ref long generation)
    {
        generation = 1;
        var verb = request[0] as string ?? "?";
        var payload = PickleSerializer.Dumps(request);
        var id = Interlocked.Increment(ref _nextId);
        var pending = new Pending();
        _pending[id] = pending;
        if (Lost)
        {
            _pending.TryRemove(id, out _);
            throw LostError();
        }

        try
        {
            lock (_write)
            {
                HostFrames.Write(_channel, id, payload);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _pending.TryRemove(id, out _);
            Lose();
            throw LostError();
        }

        // As with a host process: a serving thread whose client hung up stops waiting (the Python call runs on).
        while (!pending.Done.Wait(TimeSpan.FromMilliseconds(250)))
        {
            if (context is not null && (context.Aborted || context.IsPeerGone()))
            {
                _pending.TryRemove(id, out _);
                throw new SessionAbortedException();
            }
        }

        return pending.Data is { } data ? PythonReply.Decode(pending.Status, data, verb) : throw LostError();
    }

    public void Dispose()
    {
        Lose();
        _channel.Dispose();
    }

    private PythonHostLostException LostError() =>
        new($"{Description} is gone (its socket to the server closed); the objects it held are lost");

    private void ReadLoop()
    {
        try
        {
            while (HostFrames.Read(_channel) is { } frame)
            {
                if (_pending.TryRemove(frame.Id, out var pending))
                {
                    pending.Status = frame.Payload.Length > 0 ? frame.Payload[0] : 2;
                    pending.Data = frame.Payload.Length > 0 ? frame.Payload[1..] : [];
                    pending.Done.Set();
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidDataException)
        {
            // Same as end of stream: the owner is gone.
        }

        Lose();
    }

    private void Lose()
    {
        if (Interlocked.Exchange(ref _lost, 1) != 0)
        {
            return;
        }

        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Done.Set();
            }
        }
    }

    private sealed class Pending
    {
        public ManualResetEventSlim Done { get; } = new(false);

        public int Status { get; set; } = 2;

        public byte[]? Data { get; set; }
    }
}
