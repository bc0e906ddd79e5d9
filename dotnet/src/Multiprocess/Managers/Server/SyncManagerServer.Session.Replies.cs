using System.Buffers;
using System.Net.Sockets;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;
using Multiprocess.XmlRpc;

namespace Multiprocess.Managers.Server;

/// <summary>The replies of a <see cref="Session"/>: pickled (or XML-RPC) into its reused frame and sent in one piece.</summary>
public sealed partial class SyncManagerServer
{
    private sealed partial class Session
    {
        /// <summary>Sends <c>('#RETURN', result)</c> in the session's reused tuple.</summary>
        private void SendReturn(object? result)
        {
            // ('#RETURN', value) for None, a bool, an int64, a float, a short ASCII str or short bytes: written straight
            // into the frame, not pickled (~2,600 instructions less per append, __setitem__, put, release or acquire,
            // ~2,900 per __getitem__ or get of an int; callgrind, DOTNET_TieredCompilation=0).
            if (!_xml)
            {
                _output.Reset();
                if (ReturnPickle.TryWrite(_output, result))
                {
                    SendOutput();
                    return;
                }
            }

            if (result is null)
            {
                Send(Reply.ReturnNone);
                return;
            }

            _returnItems[1] = result;
            try
            {
                Send(_returnReply ??= new PyTuple(_returnItems));
            }
            finally
            {
                _returnItems[1] = null;
            }
        }

        /// <summary>Serializes and sends a reply; what cannot be serialized becomes <c>#UNSERIALIZABLE</c>, as in CPython.</summary>
        private void Send(PyTuple reply)
        {
            _output.Reset();
            if (_xml)
            {
                try
                {
                    XmlRpcSerializer.Dump(_output, reply);
                }
                catch (XmlRpcException e)
                {
                    // e.g. '#PROXY' (a Token has no __dict__), an int beyond 32 bits, a set: CPython's marshaller error.
                    _output.Reset();
                    XmlRpcSerializer.Dump(_output, Reply.Unserializable("serve_client", e.Message));
                }
            }
            else
            {
                try
                {
                    PickleSerializer.Dump(_output, reply);
                }
                catch (Exception e) when (e is PicklingException or NotSupportedException or InvalidCastException or ArgumentException)
                {
                    _output.Reset();
                    PickleSerializer.Dump(_output, Reply.Unserializable("serve_client", $"_pickle.PicklingError: {e.Message}"));
                }
            }

            SendOutput();
        }

        /// <summary>Sends the reply written into <see cref="_output"/> as one frame.</summary>
        private void SendOutput()
        {
            try
            {
                connection.SendFrame(_output);
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
    }
}
