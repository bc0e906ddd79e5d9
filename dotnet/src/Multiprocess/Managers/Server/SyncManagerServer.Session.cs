using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;
using Multiprocess.XmlRpc;

namespace Multiprocess.Managers.Server;

/// <summary>
/// One accepted connection: handshake, one request, and for <c>accept_connection</c> the serve_client loop. A proxy
/// connection silent for <see cref="SyncManagerServerOptions.ParkAfter"/> is parked (<see cref="IdleConnections{T}"/>): its
/// thread goes back to the pool, and a thread takes the session up again when its next request arrives.
/// </summary>
public sealed partial class SyncManagerServer
{
    private sealed partial class Session(SyncManagerServer owner, Connection.Connection connection, string? peer)
    {
        private readonly FrameWriter _output = new();

        // ('#RETURN', result), reused for every reply of this session (Send clears the result again): the tuple is
        // only pickled, never kept, so one per session spares an allocation per call.
        private readonly object?[] _returnItems = [ReplyKind.Return, null];
        private PyTuple? _returnReply;
        private SharedCallContext? _context;
        private bool _xml;   // serializer='xmlrpclib': this connection's requests and replies are XML-RPC documents
        private FrameBuffer? _input;
        private RequestUnpickler? _requests;   // the stock request shape, decoded without allocating (pickle only)
        private readonly LastCalled _lastCalled = new();   // the object and methods this connection called last
        private string _name = "";
        private long _lastRequest;
        private int _inHandshake = 1;

        public string? Peer { get; } = peer;

        /// <summary>Gets the peer for the log: its address, or for a local socket the server's fd of it.</summary>
        public string Who { get; } = peer ?? $"a local client (fd {connection.Fileno()})";

        /// <summary>Marks the handshake over; true for the one caller that did (the handshake limit counts it once).</summary>
        public bool LeaveHandshake()
        {
            if (Interlocked.Exchange(ref _inHandshake, 0) == 1)
            {
                owner.HandshakeEnded();
                return true;
            }

            return false;
        }

        /// <summary>Serves the connection until it ends, or until it is parked (then a later <see cref="Run"/> resumes it).</summary>
        public void Run()
        {
            var parked = false;
            try
            {
                parked = _input is null ? Serve() : ServeRequests();
            }
            catch (Exception e) when (e is AuthenticationException or EndOfStreamException or IOException or TimeoutException
                                          or ObjectDisposedException or InvalidOperationException or SocketException)
            {
                if (!owner._stop.IsCancellationRequested)
                {
                    owner.Log($"connection from {Who} dropped: {e.GetType().Name}: {e.Message}", LogLevel.Warning);
                }
            }
            catch (Exception e)
            {
                owner.Log($"connection from {Who} failed: {e}", LogLevel.Warning);
            }
            finally
            {
                if (!parked)
                {
                    End();
                }
            }
        }

        /// <summary>Closes the connection and counts it gone (once per session: by its thread, or for a parked one by whoever unparked it).</summary>
        public void End()
        {
            LeaveHandshake();
            connection.Close();
            // CPython's server would keep these owned by a finished thread for ever (SharedRLock's remarks).
            _context?.ReleaseOwnedRLocks((rlock, count) =>
                owner.Log($"proxy connection '{_name}' from {Who} ended holding RLock {rlock.Address} (count {count}): released, and handed to the next waiter if any"));

            owner.Finished(this);
        }

        /// <summary>A parked session stayed silent beyond the idle limit.</summary>
        public void Expire()
        {
            owner.Log($"proxy connection '{_name}' from {Who} closed: silent beyond the idle limit (IdleTimeout = {owner._options.IdleTimeout.TotalSeconds:0.###} s)", LogLevel.Warning);
            End();
        }

        /// <summary>Ends the session from another thread: wakes a blocked call and unblocks the receive.</summary>
        public void Abort()
        {
            _context?.Abort();
            connection.Shutdown();
        }

        /// <returns>Whether the session was parked (it is not over).</returns>
        private bool Serve()
        {
            var options = owner._options;
            connection.SpinDuration = options.SpinDuration;
            connection.MaxMessageLength = options.MaxMessageLength;
            connection.StallTimeout = options.StallTimeout;
            if (options.StallTimeout != Timeout.InfiniteTimeSpan)
            {
                // SO_SNDTIMEO: a reply the peer leaves unread fails the send after this long instead of blocking for ever.
                connection.SetSendTimeout(options.StallTimeout);
            }

            var timeout = options.HandshakeTimeout;
            byte[] frame;
            try
            {
                ArmQuickAck();
                Authentication.AuthenticateAsServer(connection, owner._authKey, timeout);
                ArmQuickAck();
                frame = connection.RecvBytes(null, timeout);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"no handshake and request within the handshake limit (HandshakeTimeout = {timeout.TotalSeconds:0.###} s): {e.Message}", e);
            }

            if (!LeaveHandshake())
            {
                return false; // evicted to admit a newer connection while it finished
            }

            PyTuple reply;
            FollowUp followUp = FollowUp.Close;
            var clientName = "";
            object? request = null;
            _xml = owner._options.Serializer switch
            {
                ManagerSerializer.Pickle => false,
                ManagerSerializer.Xmlrpclib => true,
                _ => XmlRpcSerializer.IsXml(frame),
            };
            try
            {
                request = Decode(frame);
            }
            catch (Exception e) when (e is UnpicklingException or EndOfStreamException or NotSupportedException or XmlRpcException)
            {
                owner.Log($"malformed request from {Who}: {e.Message}", LogLevel.Warning);
                reply = Reply.Traceback("_handle_request", e);
                Send(reply);
                return false;
            }

            if (!_xml && ProxyForms.MayContainProxy(frame))
            {
                owner._server.NoteProxies(request);
            }

            // An XML request does not say its CPython version: such clients see 3.14's names (a superset).
            var dialect = _xml ? ManagerDialect.Python314 : ManagerDialects.OfRequest(frame);
            reply = owner._server.HandleRequest(request, out followUp, out clientName, dialect);
            if (owner._options.Verbose)
            {
                owner.Log($"{Describe(request)} from {Who} -> {reply[0]}");
            }

            Send(reply);
            switch (followUp)
            {
                case FollowUp.ServeClient:
                    return ServeClient(clientName);
                case FollowUp.Shutdown:
                    // CPython's shutdown() replies itself, then _handle_request replies again; clients read the first.
                    TrySend(Reply.ReturnNone);
                    connection.Close();
                    ThreadPool.UnsafeQueueUserWorkItem(static s => s.Shutdown(), owner, preferLocal: false);
                    break;
            }

            return false;
        }

        /// <summary>CPython's <c>serve_client</c>: requests until EOF; a failed call is answered, never fatal.</summary>
        /// <returns>Whether the session was parked.</returns>
        private bool ServeClient(string name)
        {
            var context = owner._server.NewContext(name, PeerGone);
            // With MULTIPROCESS_QUEUE_PEER_CHECK=tcp: on AF_UNIX a reply to a client that hung up fails (EPIPE), so
            // what a call took for it is given back without asking the socket first (IsPeerGoneBeforeTake).
            context.ReplyFailsIfPeerGone = !SharedCallContext.PeerCheckBeforeEveryTake && SocketNative.IsUnixSocket(connection.Fileno());
            // A grant's early True goes out as SendReturn sends every True: the pickle's bytes copied, not the reply
            // tuple made and pickled again (~2,600 instructions and an allocation per hand-over).
            context.SetReplySender(SendReturn);
            context.SetInputWaiter(AwaitInput);
            _context = context;
            _name = name;
            _input = new FrameBuffer(owner._options.TcpQuickAck ? connection.AcknowledgeNow : null);
            _requests = _xml ? null : new RequestUnpickler();
            _lastRequest = Environment.TickCount64;
            if (owner._stop.IsCancellationRequested)
            {
                return false;
            }

            owner.Log($"proxy connection '{name}' from {Who}{(_xml ? " (xmlrpclib)" : "")}");
            return ServeRequests();
        }

        /// <summary>The serve_client loop, from its start or after the session was parked.</summary>
        /// <returns>Whether the session was parked.</returns>
        private bool ServeRequests()
        {
            var server = owner._server;
            var context = _context!;
            var input = _input!;
            var requests = _requests;
            var options = owner._options;
            while (!owner._stop.IsCancellationRequested)
            {
                // No per-request TCP_QUICKACK: the reply carries the ACK; only split (large) frames need it (FrameBuffer).
                input.Reset();
                if (context.TakeInputReady())
                {
                    // A blocked acquire's wait (Waiter.AwaitNextRequest) saw this request arrive after its grant had
                    // answered the client: read it now, without asking the socket again (one ioctl, or a poll(2), less),
                    // and leave it on the socket until our reply is out (Connection.PeekReadyInput): taking it off would
                    // wake the client, asleep for that reply, and when the reply waits on a hand-over (a release
                    // answers the next waiter first) the client sleeps again and is woken twice.
                    if (RequestWait.PeekAfterGrant)
                    {
                        connection.PeekReadyInput();
                    }
                }
                else if (options.ParkAfter != Timeout.InfiniteTimeSpan)
                {
                    if (!connection.WaitForInput(options.ParkAfter))
                    {
                        var deadline = options.IdleTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : _lastRequest + (long)options.IdleTimeout.TotalMilliseconds;
                        if (owner.Park(this, connection.Fileno(), deadline))
                        {
                            return true;
                        }
                    }
                }
                else if (options.IdleTimeout != Timeout.InfiniteTimeSpan && !connection.Poll(options.IdleTimeout))
                {
                    owner.Log($"proxy connection '{_name}' from {Who} closed: silent beyond the idle limit (IdleTimeout = {options.IdleTimeout.TotalSeconds:0.###} s)", LogLevel.Warning);
                    return false;
                }

                // A request up to 16 KiB (a stock client writes it in one piece) is decoded where it was read, in the
                // connection's read-ahead buffer; a longer one is collected in the FrameBuffer (it acks split writes).
                ReadOnlySpan<byte> frame;
                try
                {
                    if (!connection.RecvBytesInPlace(input, FrameBuffer.SplitWriteThreshold, out frame))
                    {
                        frame = input.WrittenSpan;
                    }
                }
                catch (EndOfStreamException)
                {
                    break;
                }

                PyTuple? reply;
                object? result;
                try
                {
                    // The stock request (str ident and name, up to 3 scalar args, empty kwds) is handed over in its
                    // parts, its args in a tuple the decoder reuses; anything else (and every malformed request, so
                    // its error names the offset) goes through the general unpickler. Scalars carry no proxy.
                    if (requests is not null && requests.TryLoad(frame, out var ident, out var methodName, out var args))
                    {
                        reply = server.ServeRequest(ident, methodName, args, context, _lastCalled, out result);
                    }
                    else
                    {
                        var request = Decode(frame);
                        if (!_xml && ProxyForms.MayContainProxy(frame))
                        {
                            server.NoteProxies(request);
                        }

                        reply = server.ServeRequest(request, context, out result);
                    }
                }
                catch (SessionAbortedException)
                {
                    break;
                }
                catch (Exception e) when (e is UnpicklingException or EndOfStreamException or NotSupportedException or XmlRpcException)
                {
                    // CPython: recv() raising inside the loop is answered with a traceback and the loop goes on.
                    owner.Log($"malformed request on '{_name}': {e.Message}", LogLevel.Warning);
                    reply = Reply.Traceback("serve_client", e);
                    result = null;
                }

                if (!context.TakeReplySent())
                {
                    try
                    {
                        if (reply is not null)
                        {
                            Send(reply);
                        }
                        else
                        {
                            SendReturn(result);
                        }
                    }
                    catch
                    {
                        // The client never gets this reply (gone, or stalled: the session ends either way): what the
                        // call took for it (a Queue's item) goes back. On TCP a send to a peer that just died may
                        // still succeed; SharedQueue.Get's peer check before the take is what covers that.
                        context.GiveBackTaken();
                        throw;
                    }
                }

                connection.ConsumePeekedInput();
                context.ForgetTaken();
                requests?.Clear();

                if (options.IdleTimeout != Timeout.InfiniteTimeSpan)
                {
                    _lastRequest = Environment.TickCount64;
                }
            }

            owner.Log($"proxy connection '{_name}' closed");
            return false;
        }

        private object? Decode(ReadOnlySpan<byte> frame) => _xml ? XmlRpcSerializer.Loads(frame) : PickleSerializer.Loads(frame);

        /// <summary>TCP_QUICKACK before a read, when the options ask for it (<see cref="Connection.Connection.AcknowledgeNow"/>).</summary>
        private void ArmQuickAck()
        {
            if (owner._options.TcpQuickAck)
            {
                connection.AcknowledgeNow();
            }
        }

        /// <summary>Waits up to <paramref name="milliseconds"/> for the client's next request or hang-up (a closed connection counts).</summary>
        private bool AwaitInput(int milliseconds)
        {
            try
            {
                connection.ConsumePeekedInput(); // a request left on the socket would read as input at once
                return connection.Poll(TimeSpan.FromMilliseconds(milliseconds));
            }
            catch (Exception e) when (e is ObjectDisposedException or IOException)
            {
                return true; // the waiter then checks the client (hung up: the call ends) or waits on its monitor
            }
        }

        /// <summary>Whether the client hung up (<see cref="Connection.Connection.IsPeerClosed"/>).</summary>
        private bool PeerGone() => connection.IsPeerClosed();

        private static string Describe(object? request) =>
            request is PyTuple { Count: 4 } t ? $"{PyRepr.Str(t[1])}{PyRepr.Repr(t[2])}" : PyRepr.Repr(request);
    }
}
