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
}
