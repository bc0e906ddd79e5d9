using System.Buffers;
using System.Net.Sockets;
using Multiprocess.Connection;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Server;

/// <summary>One accepted connection: handshake, one request, and for <c>accept_connection</c> the serve_client loop.</summary>
public sealed partial class SyncManagerServer
{
    private sealed class Session(SyncManagerServer owner, Connection.Connection connection, string? peer)
    {
        // Linux TCP_QUICKACK (netinet/tcp.h): ACK at once instead of delaying; the kernel clears it again, so it is re-armed per read.
        private const int IpProtoTcp = 6;
        private const int TcpQuickAck = 12;

        private readonly Socket? _socket = (connection.Transport as SocketTransport)?.Socket;
        private readonly ArrayBufferWriter<byte> _output = new(256);
        private SharedCallContext? _context;
        private int _inHandshake = 1;

        public string? Peer { get; } = peer;

        /// <summary>Gets the peer for the log: its address, or for a local socket the server's fd of it.</summary>
        public string Who { get; } = peer ?? $"a local client (fd {connection.Transport.Handle})";

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

        private bool IsTcp => _socket?.ProtocolType == ProtocolType.Tcp;

        public void Run()
        {
            try
            {
                Serve();
            }
            catch (Exception e) when (e is AuthenticationException or EndOfStreamException or IOException or TimeoutException
                                          or ObjectDisposedException or InvalidOperationException or SocketException)
            {
                if (!owner._stop.IsCancellationRequested)
                {
                    owner.Log($"connection from {Who} dropped: {e.GetType().Name}: {e.Message}");
                }
            }
            catch (Exception e)
            {
                owner.Log($"connection from {Who} failed: {e}");
            }
            finally
            {
                LeaveHandshake();
                connection.Close();
                owner.Finished(this);
            }
        }

        /// <summary>Ends the session from another thread: wakes a blocked call and unblocks the receive.</summary>
        public void Abort()
        {
            _context?.Abort();
            try
            {
                _socket?.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        private void Serve()
        {
            var options = owner._options;
            connection.SpinDuration = options.SpinDuration;
            connection.MaxMessageLength = options.MaxMessageLength;
            connection.StallTimeout = options.StallTimeout;
            if (_socket is not null && options.StallTimeout != Timeout.InfiniteTimeSpan)
            {
                // SO_SNDTIMEO: a reply the peer leaves unread fails the send after this long instead of blocking for ever.
                _socket.SendTimeout = (int)Math.Clamp(options.StallTimeout.TotalMilliseconds, 1, int.MaxValue);
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
                return; // evicted to admit a newer connection while it finished
            }

            PyTuple reply;
            FollowUp followUp = FollowUp.Close;
            var clientName = "";
            object? request = null;
            try
            {
                request = PickleSerializer.Loads(frame);
            }
            catch (Exception e) when (e is UnpicklingException or EndOfStreamException or NotSupportedException)
            {
                owner.Log($"malformed request from {Who}: {e.Message}");
                reply = Reply.Traceback("_handle_request", e);
                Send(reply);
                return;
            }

            if (ProxyForms.MayContainProxy(frame))
            {
                owner._server.NoteProxies(request);
            }

            reply = owner._server.HandleRequest(request, out followUp, out clientName, ManagerDialects.OfRequest(frame));
            if (owner._options.Verbose)
            {
                owner.Log($"{Describe(request)} from {Who} -> {reply[0]}");
            }

            Send(reply);
            switch (followUp)
            {
                case FollowUp.ServeClient:
                    ServeClient(clientName);
                    break;
                case FollowUp.Shutdown:
                    // CPython's shutdown() replies itself, then _handle_request replies again; clients read the first.
                    TrySend(Reply.ReturnNone);
                    connection.Close();
                    ThreadPool.UnsafeQueueUserWorkItem(static s => s.Shutdown(), owner, preferLocal: false);
                    break;
            }
        }

        /// <summary>CPython's <c>serve_client</c>: requests until EOF; a failed call is answered, never fatal.</summary>
        private void ServeClient(string name)
        {
            var context = owner._server.NewContext(name, PeerGone);
            _context = context;
            if (owner._stop.IsCancellationRequested)
            {
                return;
            }

            owner.Log($"proxy connection '{name}' from {Who}");
            var server = owner._server;
            var input = new FrameBuffer(owner._options.TcpQuickAck && IsTcp ? ArmQuickAck : null);
            while (!owner._stop.IsCancellationRequested)
            {
                // No per-request TCP_QUICKACK: the reply carries the ACK; only split (large) frames need it (FrameBuffer).
                input.Reset();
                if (owner._options.IdleTimeout != Timeout.InfiniteTimeSpan && !connection.Poll(owner._options.IdleTimeout))
                {
                    owner.Log($"proxy connection '{name}' from {Who} closed: silent beyond the idle limit (IdleTimeout = {owner._options.IdleTimeout.TotalSeconds:0.###} s)");
                    return;
                }

                try
                {
                    connection.RecvBytes(input);
                }
                catch (EndOfStreamException)
                {
                    break;
                }

                var frame = input.WrittenSpan;
                PyTuple reply;
                try
                {
                    var request = PickleSerializer.Loads(frame);
                    if (ProxyForms.MayContainProxy(frame))
                    {
                        server.NoteProxies(request);
                    }

                    reply = server.ServeRequest(request, context);
                }
                catch (SessionAbortedException)
                {
                    break;
                }
                catch (Exception e) when (e is UnpicklingException or EndOfStreamException or NotSupportedException)
                {
                    // CPython: recv() raising inside the loop is answered with a traceback and the loop goes on.
                    owner.Log($"malformed request on '{name}': {e.Message}");
                    reply = Reply.Traceback("serve_client", e);
                }

                Send(reply);
            }

            owner.Log($"proxy connection '{name}' closed");
        }

        /// <summary>Pickles and sends a reply; what cannot be pickled becomes <c>#UNSERIALIZABLE</c>, as in CPython.</summary>
        private void Send(PyTuple reply)
        {
            _output.ResetWrittenCount();
            try
            {
                PickleSerializer.Dump(_output, reply);
            }
            catch (Exception e) when (e is PicklingException or NotSupportedException or InvalidCastException or ArgumentException)
            {
                _output.ResetWrittenCount();
                PickleSerializer.Dump(_output, Reply.Unserializable("serve_client", $"_pickle.PicklingError: {e.Message}"));
            }

            try
            {
                connection.SendBytes(_output.WrittenSpan);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                throw new TimeoutException($"the peer left a reply unread beyond the stall limit (StallTimeout = {owner._options.StallTimeout.TotalSeconds:0.###} s)", e);
            }
        }

        private void TrySend(PyTuple reply)
        {
            try
            {
                Send(reply);
            }
            catch (IOException)
            {
            }
        }

        private void ArmQuickAck()
        {
            if (owner._options.TcpQuickAck && IsTcp)
            {
                try
                {
                    _socket!.SetRawSocketOption(IpProtoTcp, TcpQuickAck, [1, 0, 0, 0]);
                }
                catch (SocketException)
                {
                }
            }
        }

        /// <summary>Whether the client hung up (one poll(2); see <see cref="PeerProbe"/>).</summary>
        private bool PeerGone()
        {
            try
            {
                return _socket is not null && PeerProbe.IsGone((int)_socket.SafeHandle.DangerousGetHandle());
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }

        private static string Describe(object? request) =>
            request is PyTuple { Count: 4 } t ? $"{PyRepr.Str(t[1])}{PyRepr.Repr(t[2])}" : PyRepr.Repr(request);
    }
}
