using System.Collections.Concurrent;
using Multiprocess.Connection;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>
/// Accepting and serving connections (CPython's <c>Server.accepter</c>, <c>handle_request</c>): authenticate with the
/// manager's key (server challenges first), read one request, answer it; <c>accept_connection</c> turns the
/// connection into a proxy channel served until the client hangs up.
/// </summary>
/// <remarks>
/// <code>
///   client                                    server (one worker thread per connection)
///   1. connect                          →     accept; hand to an idle worker
///   2. handshake (6 frames, §1.7)       ↔     deliver_challenge, answer_challenge
///   3. (None, funcname, args, kwds)     →     create / incref / decref / get_methods / debug_info / ...
///   4.                                  ←     ('#RETURN', result) or ('#TRACEBACK', text); close
///   3'. (None, 'accept_connection', (name,), {})  →  ('#RETURN', None), then serve_client:
///   5. (ident, method, args, kwds)      →     call; ('#RETURN'|'#ERROR'|'#PROXY'|'#TRACEBACK'|'#UNSERIALIZABLE', x)
///   ...                                        until EOF
/// </code>
/// </remarks>
public sealed partial class SyncManagerServer
{
    private readonly ConcurrentDictionary<Session, byte> _sessions = new();
    private readonly Stack<Worker> _idle = new();
    private readonly ConcurrentQueue<Session> _inHandshake = new();
    private IdleConnections<Session>? _parked;
    private int _activeConnections;
    private int _unauthenticated;
    private int _workers;

    private void AcceptLoop()
    {
        var listener = _listener!;
        while (!_stop.IsCancellationRequested)
        {
            Connection.Connection connection;
            try
            {
                connection = listener.Accept();
            }
            catch (Exception e) when (e is ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (IOException e)
            {
                // EMFILE and friends: CPython ignores OSError here and goes on; so do we, after a breath.
                Log($"accept failed: {e.Message}");
                Thread.Sleep(50);
                continue;
            }

            var session = new Session(this, connection, listener.LastAccepted?.ToString());
            if (Volatile.Read(ref _activeConnections) >= _options.MaxConnections)
            {
                Log($"refused connection from {session.Who}: the connection limit is reached (MaxConnections = {_options.MaxConnections})");
                connection.Close();
                continue;
            }

            EvictOldestHandshakes();
            Interlocked.Increment(ref _unauthenticated);
            _inHandshake.Enqueue(session);
            _sessions.TryAdd(session, 0);
            Interlocked.Increment(ref _activeConnections);
            Dispatch(session);
        }
    }

    /// <summary>Makes room for one more connection in its handshake by closing the oldest ones still in theirs.</summary>
    private void EvictOldestHandshakes()
    {
        while (Volatile.Read(ref _unauthenticated) >= Math.Max(1, _options.MaxUnauthenticatedConnections) && _inHandshake.TryDequeue(out var oldest))
        {
            if (oldest.LeaveHandshake())
            {
                Log($"closed connection from {oldest.Who}, still in its handshake, to admit a new one: the handshake limit is reached (MaxUnauthenticatedConnections = {_options.MaxUnauthenticatedConnections})");
                oldest.Abort();
            }
        }
    }

    /// <summary>A session's handshake ended (done, failed or evicted): it no longer counts against the handshake limit.</summary>
    private void HandshakeEnded() => Interlocked.Decrement(ref _unauthenticated);

    /// <summary>Gives the connection to an idle worker, or a new one.</summary>
    private void Dispatch(Session session)
    {
        Worker? worker = null;
        lock (_idle)
        {
            while (_idle.Count > 0 && worker is null)
            {
                worker = _idle.Pop();
                if (!worker.TryAssign(session))
                {
                    worker = null;
                }
            }
        }

        if (worker is null)
        {
            Interlocked.Increment(ref _workers);
            new Worker(this, session).Start();
        }
    }

    /// <summary>A worker finished (or parked) its connection: keep it for the next one, unless enough are idle already.</summary>
    /// <returns>False: the worker exits.</returns>
    private bool ReturnToPool(Worker worker)
    {
        lock (_idle)
        {
            if (_idle.Count >= _options.MaxIdleWorkers)
            {
                return false;
            }

            _idle.Push(worker);
            return true;
        }
    }

    /// <summary>Parks a proxy connection between requests (see <see cref="IdleConnections{T}"/>); false if it cannot be.</summary>
    private bool Park(Session session, int fd, long deadline)
    {
        var parked = _parked;
        return parked is not null && !_stop.IsCancellationRequested && parked.Park(fd, session, deadline);
    }

    /// <summary>Starts watching parked connections (at <see cref="Start"/>).</summary>
    private void StartParking()
    {
        if (_options.ParkAfter != Timeout.InfiniteTimeSpan)
        {
            _parked = new IdleConnections<Session>($"manager idle {_listener!.Address}", Dispatch, static s => s.Expire());
        }
    }

    /// <summary>Stops watching parked connections and closes those still parked (at shutdown).</summary>
    private void StopParking()
    {
        if (_parked is { } parked)
        {
            foreach (var session in parked.Drain())
            {
                session.End();
            }

            parked.Dispose();
        }
    }

    private void Finished(Session session)
    {
        _sessions.TryRemove(session, out _);
        Interlocked.Decrement(ref _activeConnections);
    }

    private void AbortSessions()
    {
        foreach (var session in _sessions.Keys)
        {
            session.Abort();
        }

        lock (_idle)
        {
            while (_idle.Count > 0)
            {
                _idle.Pop().Retire();
            }
        }

        StopParking();
    }

    private void WaitForWorkers(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Volatile.Read(ref _activeConnections) > 0 && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(10);
        }
    }

    /// <summary>A pooled thread serving one connection at a time.</summary>
    private sealed class Worker(SyncManagerServer owner, Session first)
    {
        private readonly object _gate = new();
        private Session? _next = first;
        private bool _retired;

        public void Start() => new Thread(Run) { IsBackground = true, Name = "manager worker" }.Start();

        /// <summary>Hands over a connection; false if the worker is exiting.</summary>
        public bool TryAssign(Session session)
        {
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }

                _next = session;
                Monitor.Pulse(_gate);
                return true;
            }
        }

        public void Retire()
        {
            lock (_gate)
            {
                _retired = true;
                Monitor.Pulse(_gate);
            }
        }

        private void Run()
        {
            try
            {
                while (true)
                {
                    Session? session;
                    lock (_gate)
                    {
                        session = _next;
                        _next = null;
                    }

                    if (session is not null)
                    {
                        Thread.CurrentThread.Name = "manager " + (session.Peer ?? "client");
                        session.Run();
                        if (owner._stop.IsCancellationRequested)
                        {
                            return;
                        }

                        if (!owner.ReturnToPool(this))
                        {
                            return;
                        }
                    }

                    lock (_gate)
                    {
                        while (_next is null && !_retired)
                        {
                            if (!Monitor.Wait(_gate, owner._options.IdleWorkerTimeout))
                            {
                                // Idle too long: retire, unless a connection was handed over meanwhile.
                                _retired = _next is null;
                            }
                        }

                        if (_next is null)
                        {
                            return;
                        }
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref owner._workers);
            }
        }
    }
}
