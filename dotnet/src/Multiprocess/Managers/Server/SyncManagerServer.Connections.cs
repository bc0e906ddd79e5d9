using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
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
///   client                                    server (the thread that accepts serves the connection)
///   1. connect                          →     accept (one of two threads waiting in accept(2))
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

    /// <summary>
    /// How many threads wait in accept(2) at once. A thread that accepts a connection serves it itself (handshake,
    /// request, proxy session), so a connection costs no hand-over to another thread; with two waiting, the one left
    /// takes the next connection while the first serves, and a thread whose connection ended goes back to accepting.
    /// </summary>
    private const int Acceptors = 2;

    private readonly object _admission = new();
    private int _accepting;

    /// <summary>Takes the accepting role if fewer than <see cref="Acceptors"/> threads hold it.</summary>
    private bool TryBecomeAcceptor()
    {
        if (_stop.IsCancellationRequested)
        {
            return false;
        }

        if (Interlocked.Increment(ref _accepting) <= Acceptors)
        {
            return true;
        }

        Interlocked.Decrement(ref _accepting);
        return false;
    }

    /// <summary>
    /// Waits for one connection (the caller holds the accepting role, which this gives back) and admits it: CPython's
    /// <c>Server.accepter</c> body. Leaves <paramref name="session"/> null for a refused connection or a failed accept.
    /// </summary>
    /// <returns>False once the listener is closed.</returns>
    private bool AcceptOne(out Session? session)
    {
        session = null;
        Connection.Connection connection;
        ConnectionAddress? peer;
        var left = 1;
        try
        {
            connection = _listener!.Accept(Timeout.InfiniteTimeSpan, out peer);
        }
        catch (Exception e) when (e is ObjectDisposedException || _stop.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException e)
        {
            // EMFILE and friends: CPython ignores OSError here and goes on; so do we, after a breath.
            Log($"accept failed: {e.Message}", LogLevel.Warning);
            Thread.Sleep(50);
            return true;
        }
        finally
        {
            left = Interlocked.Decrement(ref _accepting);
        }

        if (_stop.IsCancellationRequested)
        {
            connection.Close();
            return false;
        }

        if (left == 0)
        {
            // This thread will be busy with its connection: someone else waits for the next one.
            StartAcceptor();
        }

        var admitted = new Session(this, connection, peer?.ToString());
        lock (_admission)
        {
            if (Volatile.Read(ref _activeConnections) >= _options.MaxConnections)
            {
                Log($"refused connection from {admitted.Who}: the connection limit is reached (MaxConnections = {_options.MaxConnections})", LogLevel.Warning);
                connection.Close();
                return true;
            }

            EvictOldestHandshakes();
            Interlocked.Increment(ref _unauthenticated);
            _inHandshake.Enqueue(admitted);
            _sessions.TryAdd(admitted, 0);
            Interlocked.Increment(ref _activeConnections);
        }

        session = admitted;
        return true;
    }

    /// <summary>Puts one more thread in accept(2): an idle worker, or a new one.</summary>
    private void StartAcceptor()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        lock (_idle)
        {
            while (_idle.Count > 0)
            {
                if (_idle.Pop().TryAssignAccept())
                {
                    return;
                }
            }
        }

        Interlocked.Increment(ref _workers);
        new Worker(this, null).Start();
    }

    /// <summary>Makes room for one more connection in its handshake by closing the oldest ones still in theirs.</summary>
    private void EvictOldestHandshakes()
    {
        while (Volatile.Read(ref _unauthenticated) >= Math.Max(1, _options.MaxUnauthenticatedConnections) && _inHandshake.TryDequeue(out var oldest))
        {
            if (oldest.LeaveHandshake())
            {
                Log($"closed connection from {oldest.Who}, still in its handshake, to admit a new one: the handshake limit is reached (MaxUnauthenticatedConnections = {_options.MaxUnauthenticatedConnections})", LogLevel.Warning);
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

    /// <summary>A pooled thread serving one connection at a time; between connections it accepts, or waits in the pool for a parked connection's next request.</summary>
    private sealed class Worker(SyncManagerServer owner, Session? first)
    {
        private readonly object _gate = new();
        private Session? _next = first;
        private bool _accept;
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

        /// <summary>Asks the worker to accept the next connection; false if it is exiting.</summary>
        public bool TryAssignAccept()
        {
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }

                _accept = true;
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
                    // A connection handed over is always run, also while the server stops: its Run ends it (a
                    // parked one woken by the shutdown's hang-up is counted gone only there).
                    Session? session;
                    lock (_gate)
                    {
                        session = _next;
                        _next = null;
                        _accept = false;
                    }

                    if (session is null && owner.TryBecomeAcceptor() && !owner.AcceptOne(out session))
                    {
                        return; // the listener is closed
                    }

                    if (session is not null)
                    {
                        Thread.CurrentThread.Name = "manager " + (session.Peer ?? "client");
                        session.Run();
                        // Named for what it does now, so a count of threads by name tells pooled ones from busy ones.
                        Thread.CurrentThread.Name = "manager worker";
                        continue; // accept next, if fewer than Acceptors do; else wait in the pool
                    }

                    if (owner._stop.IsCancellationRequested || !owner.ReturnToPool(this))
                    {
                        return;
                    }

                    lock (_gate)
                    {
                        while (_next is null && !_accept && !_retired)
                        {
                            if (!Monitor.Wait(_gate, owner._options.IdleWorkerTimeout))
                            {
                                // Idle too long: retire, unless work was handed over meanwhile.
                                _retired = _next is null && !_accept;
                            }
                        }

                        if (_next is null && !_accept)
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
