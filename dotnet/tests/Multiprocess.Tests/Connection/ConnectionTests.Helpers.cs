using Multiprocess.TestUtilities.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>Pair construction and the sync/async dispatch of ConnectionTests.</summary>
public partial class ConnectionTests
{
    /// <summary>The far end of a connection, written and read as raw bytes.</summary>
    private interface IRawPeer
    {
        void SendRaw(byte[] bytes);

        byte[] ReceiveRaw(int count);

        void Close();
    }

    private (MpConnection A, MpConnection B) Pair()
    {
        MpConnection a;
        MpConnection b;
        if (kind == TransportKind.OneByte)
        {
            var (ta, tb) = InMemoryTransport.CreatePair(maxChunk: 1);
            (a, b) = (new MpConnection(ta), new MpConnection(tb));
        }
        else
        {
            (a, b) = MpConnection.Pipe();
        }

        _owned.Add(a);
        _owned.Add(b);
        return (a, b);
    }

    private (MpConnection Connection, IRawPeer Peer) WithRawPeer()
    {
        if (kind == TransportKind.OneByte)
        {
            var (ta, tb) = InMemoryTransport.CreatePair(maxChunk: 1);
            var connection = new MpConnection(ta);
            _owned.Add(connection);
            return (connection, new MemoryPeer(tb));
        }

        var (c, peer) = ScriptedPeer.Create();
        _owned.Add(c);
        _owned.Add(peer);
        return (c, new SocketPeer(peer));
    }

    private async Task Send(MpConnection c, byte[] message)
    {
        if (mode == SyncOrAsync.Sync)
        {
            c.SendBytes(message);
        }
        else
        {
            await c.SendBytesAsync(message);
        }
    }

    private async Task<byte[]> Recv(MpConnection c, int? maxLength = null) =>
        mode == SyncOrAsync.Sync ? c.RecvBytes(maxLength) : await c.RecvBytesAsync(maxLength);

    private Task<bool> Poll(MpConnection c, TimeSpan timeout) =>
        mode == SyncOrAsync.Sync ? Task.Run(() => c.Poll(timeout)) : c.PollAsync(timeout).AsTask();

    private sealed class MemoryPeer(InMemoryTransport transport) : IRawPeer
    {
        public void SendRaw(byte[] bytes) => transport.Write(bytes);

        public byte[] ReceiveRaw(int count)
        {
            var buffer = new byte[count];
            var got = 0;
            while (got < count)
            {
                got += transport.Read(buffer.AsSpan(got));
            }

            return buffer;
        }

        public void Close() => transport.Dispose();
    }

    private sealed class SocketPeer(ScriptedPeer peer) : IRawPeer
    {
        public void SendRaw(byte[] bytes) => peer.SendRaw(bytes);

        public byte[] ReceiveRaw(int count) => peer.ReceiveRawExactly(count);

        public void Close() => peer.Close();
    }
}
