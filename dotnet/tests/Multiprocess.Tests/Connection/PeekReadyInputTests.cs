using Multiprocess.Internal;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// <see cref="MpConnection.PeekReadyInput"/>: the manager server reads a request that arrived while a blocked
/// acquire's thread waited (Waiter.AwaitNextRequest) without taking it off the socket, so its client, asleep in
/// read() for the reply, is not woken before the reply is there; the bytes are taken off after the reply
/// (<see cref="MpConnection.ConsumePeekedInput"/>), or by any later read first.
/// </summary>
public sealed class PeekReadyInputTests
{
    private static readonly byte[] Request = [0, 0, 0, 7, .. "request"u8];

    [Test]
    public void APeekedRequest_DoesNotWakeItsSender_TakingItOffDoes()
    {
        var (clientFd, serverFd) = SocketNative.SocketPair();
        using var server = MpConnection.FromHandle(serverFd);
        using var client = new ThreadSwitches.OwnedFd(clientFd);
        Assert.That(server.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False, "sets the socket up (SO_RCVTIMEO)");

        var tid = 0;
        using var sent = new ManualResetEventSlim();
        var replyLength = 0;
        var sender = new Thread(() =>
        {
            tid = ThreadSwitches.CurrentTid();
            Assert.That(SocketNative.Send(clientFd, Request), Is.EqualTo(Request.Length));
            sent.Set();
            Span<byte> reply = stackalloc byte[4 + 5];
            replyLength = SocketNative.Recv(clientFd, reply); // asleep here until the reply
        });
        sender.Start();
        Assert.That(sent.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Thread.Sleep(50);
        var asleep = ThreadSwitches.Voluntary(tid);

        server.PeekReadyInput();
        Assert.That(server.HasBufferedInput, Is.True, "the request is in the read-ahead buffer");
        Assert.That(server.RecvBytes(), Is.EqualTo("request"u8.ToArray()));
        Thread.Sleep(50);
        var afterPeek = ThreadSwitches.Voluntary(tid);

        server.ConsumePeekedInput();
        Thread.Sleep(50);
        var afterConsume = ThreadSwitches.Voluntary(tid);

        server.SendBytes("reply"u8);
        Assert.That(sender.Join(TimeSpan.FromSeconds(30)), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(replyLength, Is.EqualTo(9));
            Assert.That(afterPeek - asleep, Is.EqualTo(0), "the peek woke the sender");
            // The premise of the peek (AF_UNIX's unix_write_space): taking the message off wakes its sender once.
            Assert.That(afterConsume - afterPeek, Is.GreaterThanOrEqualTo(1), "taking the request off did not wake its sender");
        });
        Assert.That(server.Poll(TimeSpan.Zero), Is.False, "the request was taken off the socket once");
    }

    [Test]
    public void AReadAfterAPeek_TakesThePeekedBytesOffFirst()
    {
        var (clientFd, serverFd) = SocketNative.SocketPair();
        using var server = MpConnection.FromHandle(serverFd);
        using var client = new ThreadSwitches.OwnedFd(clientFd);
        Assert.That(server.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False);
        Assert.That(SocketNative.Send(clientFd, Request), Is.EqualTo(Request.Length));
        Assert.That(server.Poll(TimeSpan.FromSeconds(30)), Is.True);
        server.PeekReadyInput();
        Assert.That(server.RecvBytes(), Is.EqualTo("request"u8.ToArray()));

        // No ConsumePeekedInput: the next receive must not see the first request again.
        Assert.That(SocketNative.Send(clientFd, [0, 0, 0, 4, .. "next"u8]), Is.EqualTo(8));
        Assert.That(server.RecvBytes(null, TimeSpan.FromSeconds(30)), Is.EqualTo("next"u8.ToArray()));
        Assert.That(SocketNative.Send(clientFd, [0, 0, 0, 5, .. "third"u8]), Is.EqualTo(9));
        Assert.That(server.WaitForInput(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(server.RecvBytes(), Is.EqualTo("third"u8.ToArray()));
        Assert.That(server.Poll(TimeSpan.Zero), Is.False);
    }

    [Test]
    public void APollAfterAPeek_DoesNotSeeThePeekedRequestAgain()
    {
        // A blocked acquire's thread polls its client's socket for the next request (Waiter.AwaitNextRequest), and a
        // receive polls for the rest of a frame: the peeked bytes are the caller's already.
        using var pair = PeekedPair.Create(Request);
        Assert.That(pair.Server.RecvBytes(), Is.EqualTo("request"u8.ToArray()));
        Assert.That(pair.Server.Poll(TimeSpan.FromMilliseconds(20)), Is.False, "the peeked request read as input again");
        Assert.That(SocketNative.UnreadOutput(pair.ClientFd), Is.EqualTo(0), "taken off the socket by the poll");
        Assert.That(SocketNative.Send(pair.ClientFd, [0, 0, 0, 4, .. "next"u8]), Is.EqualTo(8));
        Assert.That(pair.Server.Poll(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(pair.Server.RecvBytes(), Is.EqualTo("next"u8.ToArray()));
    }

    [Test]
    public void APeekedPartOfAFrame_TheRestIsReadAfterIt_AndNothingTwice()
    {
        using var pair = PeekedPair.Create(Request.AsSpan(0, 7).ToArray());
        var received = Task.Run(() => pair.Server.RecvBytes(null, TimeSpan.FromSeconds(30)));
        Thread.Sleep(20);
        Assert.That(SocketNative.Send(pair.ClientFd, Request.AsSpan(7)), Is.EqualTo(Request.Length - 7));
        Assert.That(received.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(received.Result, Is.EqualTo("request"u8.ToArray()));
        pair.Server.ConsumePeekedInput();
        Assert.That(SocketNative.UnreadOutput(pair.ClientFd), Is.EqualTo(0));
        Assert.That(pair.Server.WaitForInput(TimeSpan.FromMilliseconds(20)), Is.False, "part of the frame read twice");
    }

    [Test]
    public void APeekedRequest_ClientGone_ThePeerCheckSeesTheHangUp()
    {
        // A blocked call's peer check (IsPeerGone) runs while the request may still be on the socket.
        using var pair = PeekedPair.Create(Request);
        Assert.That(pair.Server.RecvBytes(), Is.EqualTo("request"u8.ToArray()));
        Assert.That(pair.Server.IsPeerClosed(), Is.False);
        pair.CloseClient();
        Assert.That(pair.Server.IsPeerClosed(), Is.True);
    }

    [Test]
    public void APeekedRequest_ConnectionClosedBeforeTheReply_TheClientSeesEndOfStreamNotAReset()
    {
        // The server's shutdown ends its sessions by closing their connections. An AF_UNIX socket closed with input on
        // it resets its peer (ECONNRESET): a Python client would raise ConnectionResetError instead of EOFError.
        using var pair = PeekedPair.Create(Request);
        Assert.That(pair.Server.RecvBytes(), Is.EqualTo("request"u8.ToArray()));
        pair.Server.Dispose();
        Span<byte> reply = stackalloc byte[16];
        Assert.That(SocketNative.Recv(pair.ClientFd, reply), Is.EqualTo(0), "end of stream (a negative value is -errno)");
    }

    /// <summary>A server connection whose client sent <c>bytes</c>, peeked into its read-ahead buffer.</summary>
    private sealed class PeekedPair : IDisposable
    {
        private bool _clientClosed;

        private PeekedPair(MpConnection server, int clientFd)
        {
            Server = server;
            ClientFd = clientFd;
        }

        public MpConnection Server { get; }

        public int ClientFd { get; }

        public static PeekedPair Create(byte[] bytes)
        {
            var (clientFd, serverFd) = SocketNative.SocketPair();
            var pair = new PeekedPair(MpConnection.FromHandle(serverFd), clientFd);
            Assert.That(pair.Server.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False, "sets the socket up (SO_RCVTIMEO)");
            Assert.That(SocketNative.Send(clientFd, bytes), Is.EqualTo(bytes.Length));
            Assert.That(SocketNative.PollReadable(serverFd, Deadline.From(TimeSpan.FromSeconds(30))), Is.True);
            pair.Server.PeekReadyInput();
            Assert.That(pair.Server.HasBufferedInput, Is.True, "peeked");
            Assert.That(SocketNative.UnreadOutput(clientFd), Is.GreaterThan(0), "still on the socket (SIOCOUTQ counts its buffer)");
            return pair;
        }

        public void CloseClient()
        {
            SocketNative.Close(ClientFd);
            _clientClosed = true;
        }

        public void Dispose()
        {
            Server.Dispose();
            if (!_clientClosed)
            {
                SocketNative.Close(ClientFd);
            }
        }
    }
}
