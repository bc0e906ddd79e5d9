using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Multiprocess.Connection;
using Multiprocess.TestUtilities.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>How the pair under test is connected.</summary>
public enum TransportKind
{
    /// <summary>In memory, every read returns one byte: every frame split at every byte.</summary>
    OneByte,

    /// <summary>A real socketpair (Connection.Pipe()).</summary>
    SocketPair,
}

[TestFixture(SyncOrAsync.Sync, TransportKind.OneByte)]
[TestFixture(SyncOrAsync.Async, TransportKind.OneByte)]
[TestFixture(SyncOrAsync.Sync, TransportKind.SocketPair)]
[TestFixture(SyncOrAsync.Async, TransportKind.SocketPair)]
public partial class ConnectionTests(SyncOrAsync mode, TransportKind kind)
{
    private readonly List<IDisposable> _owned = [];

    [TearDown]
    public void DisposeAll()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }

        _owned.Clear();
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(3)]
    [TestCase(100)]
    [TestCase(16383)]
    [TestCase(16384)]
    [TestCase(16385)]
    [TestCase(65536)]
    [TestCase(200_000)]
    public async Task SendAndRecvBytes_Size_RoundTripsBothWays(int size)
    {
        var (a, b) = Pair();
        var message = RandomNumberGenerator.GetBytes(size);

        var sent = Task.Run(() => Send(a, message));
        Assert.That(await Recv(b), Is.EqualTo(message));
        await sent;

        sent = Task.Run(() => Send(b, message));
        Assert.That(await Recv(a), Is.EqualTo(message));
        await sent;
    }

    [Test]
    public async Task SendBytes_Abc_PutsCPythonBytesOnTheWire()
    {
        var (a, peer) = WithRawPeer();
        await Send(a, "abc"u8.ToArray());

        Assert.That(peer.ReceiveRaw(7), Is.EqualTo(new byte[] { 0, 0, 0, 3, 0x61, 0x62, 0x63 }));
    }

    [Test]
    public async Task SendBytes_OffsetAndSize_SendsThatSlice()
    {
        var (a, b) = Pair();
        byte[] buffer = [1, 2, 3, 4, 5, 6];
        if (mode == SyncOrAsync.Sync)
        {
            a.SendBytes(buffer, 2, 3);
            a.SendBytes(buffer, 4);
        }
        else
        {
            await a.SendBytesAsync(buffer, 2, 3);
            await a.SendBytesAsync(buffer, 4);
        }

        Assert.That(await Recv(b), Is.EqualTo(new byte[] { 3, 4, 5 }));
        Assert.That(await Recv(b), Is.EqualTo(new byte[] { 5, 6 }));
    }

    [TestCase(-1, null, "negative")]
    [TestCase(7, null, "less than the offset")]
    [TestCase(0, -1, "negative")]
    [TestCase(4, 3, "offset + size")]
    public void SendBytes_BadOffsetOrSize_ThrowsArgumentOutOfRangeNamingValues(int offset, int? size, string text)
    {
        var (a, _) = Pair();
        var buffer = new byte[6];
        Assert.That(
            () => mode == SyncOrAsync.Sync ? Task.Run(() => a.SendBytes(buffer, offset, size)) : a.SendBytesAsync(buffer, offset, size).AsTask(),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains(text));
    }

    [Test]
    public async Task RecvBytes_ManyMessagesInARow_ArriveInOrderWithChecksums()
    {
        var (a, b) = Pair();
        var count = kind == TransportKind.OneByte ? 300 : 3000;
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await Send(a, Numbered(i));
            }
        });

        for (var i = 0; i < count; i++)
        {
            Assert.That(await Recv(b), Is.EqualTo(Numbered(i)), $"message {i}");
        }

        await sender;
    }

    [Test]
    public void RecvBytes_PeerClosedAtMessageBoundary_ThrowsEndOfStream()
    {
        var (a, peer) = WithRawPeer();
        peer.SendRaw([0, 0, 0, 1, 42]);
        peer.Close();

        Assert.That(async () => await Recv(a), Is.EqualTo(new byte[] { 42 }));
        Assert.That(async () => await Recv(a), Throws.TypeOf<EndOfStreamException>().With.Message.Contains("after 1 message"));
    }

    [Test]
    public void RecvBytes_PeerClosedInsideHeader_ThrowsIOExceptionNotEndOfStream()
    {
        var (a, peer) = WithRawPeer();
        peer.SendRaw([0, 0]);
        peer.Close();

        Assert.That(async () => await Recv(a),
            Throws.TypeOf<IOException>().With.Message.Contains("end of file during message").And.Message.Contains("2 byte(s) of the header"));
    }

    [Test]
    public void RecvBytes_PeerClosedInsidePayload_ThrowsIOExceptionNamingLengths()
    {
        var (a, peer) = WithRawPeer();
        peer.SendRaw([0, 0, 0, 10, 1, 2, 3]);
        peer.Close();

        Assert.That(async () => await Recv(a),
            Throws.TypeOf<IOException>().With.Message.Contains("announced 10 bytes"));
    }

    [Test]
    public void RecvBytes_ImpossibleLength_ThrowsIOExceptionWithOffset()
    {
        var (a, peer) = WithRawPeer();
        peer.SendRaw([0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFD]);

        Assert.That(async () => await Recv(a), Is.Empty);
        Assert.That(async () => await Recv(a),
            Throws.TypeOf<IOException>().With.Message.Contains("-3").And.Message.Contains("message 2 at stream offset 4"));
    }

    [Test]
    public async Task RecvBytes_AboveMaxLength_ThrowsIOExceptionAndStopsReceivingButStillSends()
    {
        var (a, b) = Pair();
        await Send(a, new byte[300]);

        Assert.That(async () => await Recv(b, 256),
            Throws.TypeOf<IOException>().With.Message.Contains("300 bytes").And.Message.Contains("maximum of 256"));
        Assert.That(b.Readable, Is.False);
        Assert.That(async () => await Recv(b), Throws.InvalidOperationException.With.Message.Contains("300 bytes"));

        await Send(b, [7]);
        Assert.That(await Recv(a), Is.EqualTo(new byte[] { 7 }));
    }

    [Test]
    public async Task RecvBytesInto_MessageFits_ReturnsLengthAndFillsAtOffset()
    {
        var (a, b) = Pair();
        await Send(a, [1, 2, 3]);
        var buffer = new byte[6];

        var n = mode == SyncOrAsync.Sync ? b.RecvBytesInto(buffer, 2) : await b.RecvBytesIntoAsync(buffer.AsMemory(2));

        Assert.That(n, Is.EqualTo(3));
        Assert.That(buffer, Is.EqualTo(new byte[] { 0, 0, 1, 2, 3, 0 }));
    }

    [Test]
    public async Task RecvBytesInto_BufferTooShort_CarriesWholeMessageAndKeepsStreamInStep()
    {
        var (a, b) = Pair();
        var big = RandomNumberGenerator.GetBytes(40_000);
        var sent = Task.Run(async () =>
        {
            await Send(a, big);
            await Send(a, [9]);
        });
        var buffer = new byte[100];

        var e = Assert.ThrowsAsync<BufferTooShortException>(async () =>
        {
            if (mode == SyncOrAsync.Sync)
            {
                b.RecvBytesInto(buffer, 10);
            }
            else
            {
                await b.RecvBytesIntoAsync(buffer.AsMemory(10));
            }
        });

        Assert.That(e.Payload, Is.EqualTo(big));
        Assert.That(e.Message, Does.Contain("40000").And.Contain("90"));
        Assert.That(await Recv(b), Is.EqualTo(new byte[] { 9 }));
        await sent;
    }

    [TestCase(-1)]
    [TestCase(7)]
    public void RecvBytesInto_BadOffset_ThrowsArgumentOutOfRange(int offset)
    {
        var (_, b) = Pair();
        Assert.That(() => b.RecvBytesInto(new byte[6], offset), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task RecvBytes_IntoBufferWriter_ReturnsLengthAndBytes()
    {
        var (a, b) = Pair();
        var message = RandomNumberGenerator.GetBytes(70_000);
        var sent = Task.Run(() => Send(a, message));
        var writer = new ArrayBufferWriter<byte>();

        var n = mode == SyncOrAsync.Sync ? b.RecvBytes(writer) : await b.RecvBytesAsync(writer);

        Assert.That(n, Is.EqualTo(70_000));
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(message));
        await sent;
    }

    [Test]
    public async Task Poll_ReportsInputAndEndOfStream()
    {
        var (a, b) = Pair();
        Assert.That(await Poll(b, TimeSpan.Zero), Is.False);
        Assert.That(await Poll(b, TimeSpan.FromMilliseconds(50)), Is.False);

        await Send(a, [1]);
        Assert.That(await Poll(b, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(await Recv(b), Is.EqualTo(new byte[] { 1 }));
        Assert.That(await Poll(b, TimeSpan.Zero), Is.False);

        a.Close();
        Assert.That(await Poll(b, TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(async () => await Recv(b), Throws.TypeOf<EndOfStreamException>());
    }

    [Test]
    public async Task Poll_Blocking_WakesWhenMessageArrives()
    {
        var (a, b) = Pair();
        var poll = Poll(b, Timeout.InfiniteTimeSpan);
        await Task.Delay(50);
        await Send(a, [5]);

        Assert.That(await poll, Is.True);
        Assert.That(await Recv(b), Is.EqualTo(new byte[] { 5 }));
    }

    [Test]
    public void Operations_AfterClose_ThrowObjectDisposed()
    {
        var (a, _) = Pair();
        a.Close();
        a.Close();

        Assert.That(a.Closed, Is.True);
        Assert.That(async () => await Recv(a), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(async () => await Send(a, [1]), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => a.Poll(), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => a.Fileno(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public async Task RecvBytes_TimeoutOrCancelBeforeAnyPayload_LeavesConnectionUsable()
    {
        var (a, peer) = WithRawPeer();
        peer.SendRaw([0, 0]); // half a header

        if (mode == SyncOrAsync.Sync)
        {
            Assert.That(() => a.RecvBytes(null, TimeSpan.FromMilliseconds(100)), Throws.TypeOf<TimeoutException>());
        }
        else
        {
            using var cts = new CancellationTokenSource(100);
            Assert.That(async () => await a.RecvBytesAsync(null, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        }

        peer.SendRaw([0, 2, 8, 9]);
        Assert.That(await Recv(a), Is.EqualTo(new byte[] { 8, 9 }));
    }

    [Test]
    public void RecvBytes_TimeoutOrCancelInsideLargePayload_StopsReceiving()
    {
        var (a, peer) = WithRawPeer();
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 100_000);
        peer.SendRaw([.. header, .. new byte[50_000]]);

        if (mode == SyncOrAsync.Sync)
        {
            Assert.That(() => a.RecvBytes(null, TimeSpan.FromMilliseconds(200)), Throws.TypeOf<TimeoutException>().With.Message.Contains("middle"));
        }
        else
        {
            using var cts = new CancellationTokenSource(200);
            Assert.That(async () => await a.RecvBytesAsync(null, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        }

        Assert.That(a.Readable, Is.False);
        Assert.That(() => a.RecvBytes(), Throws.InvalidOperationException.With.Message.Contains("no longer on a message boundary"));
    }

    private static byte[] Numbered(int i)
    {
        var message = new byte[8 + (i % 97)];
        BinaryPrimitives.WriteInt32BigEndian(message, i);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), i * 31);
        return message;
    }
}
