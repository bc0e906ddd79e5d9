using System.Buffers.Binary;
using Multiprocess.Managers.Server;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// The receive path against a lying or stalling peer, which writes raw bytes on the other end of a socket pair:
/// a header announcing ~2 GiB costs only the bytes that arrive, MaxMessageLength refuses before allocating, and a
/// peer that stops mid-message is bounded by StallTimeout. Each error names the limit and the value.
/// </summary>
public class ReceiveLimitTests
{
    private const int HugeDeclared = 0x7FFFFFC7;

    /// <summary>3 MiB received, plus the read-ahead buffer and the exception: no second copy, no next chunk.</summary>
    private const long ReceivedPlusSlack = (3 << 20) + (256 << 10);

    [Test]
    public void RecvBytes_HeaderAnnouncing2GiBThen3MiB_AllocatesInProportionToWhatArrived()
    {
        var (receiver, raw) = MpConnection.Pipe();
        using (receiver)
        {
            var writer = WriteAndClose(raw, Header(HugeDeclared), new byte[3 << 20]);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<IOException>(() => receiver.RecvBytes());
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            writer.Join();
            Assert.That(e!.Message, Does.Contain("Got end of file during message"));
            Assert.That(allocated, Is.LessThan(ReceivedPlusSlack), "bytes allocated for 3 MiB received under a 2 GiB header (chunks allocated as bytes arrive)");
        }
    }

    [Test]
    public void RecvBytesAsync_HeaderAnnouncing2GiBThen3MiB_AllocatesInProportionToWhatArrived()
    {
        var (receiver, raw) = MpConnection.Pipe();
        using (receiver)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var writer = WriteAndClose(raw, Header(HugeDeclared), new byte[3 << 20]);
            Assert.ThrowsAsync<IOException>(async () => await receiver.RecvBytesAsync());
            writer.Join();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.That(allocated, Is.LessThan(256L << 20), "bytes allocated process-wide (other tests may run alongside) for 3 MiB under a 2 GiB header");
        }
    }

    [TestCase(1)]
    [TestCase((1 << 20) + 1)]
    [TestCase((5 << 20) + 12_345)]
    public async Task RecvBytes_HonestLargeMessages_ArriveIntactAlongEveryPath(int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            var sender = new Thread(() =>
            {
                a.SendBytes(payload);
                a.SendBytes(payload);
                a.SendBytes(payload);
            });
            sender.Start();
            Assert.That(b.RecvBytes(), Is.EqualTo(payload), "sync");
            Assert.That(await b.RecvBytesAsync(), Is.EqualTo(payload), "async");
            var tooShort = Assert.Throws<BufferTooShortException>(() => b.RecvBytesInto(new byte[length - 1]));
            Assert.That(tooShort!.Payload, Is.EqualTo(payload), "recv_bytes_into too short: the whole message");
            sender.Join();
        }
    }

    [Test]
    public void ServerFrameBuffer_HeaderAnnouncing2GiBThen3MiB_HoldsOnlyWhatArrived()
    {
        // The manager server's serve_client loop receives into a FrameBuffer (RecvBytes(IBufferWriter)).
        var (receiver, raw) = MpConnection.Pipe();
        using (receiver)
        {
            var frame = new FrameBuffer(onLargeFrame: null);
            var body = new byte[3 << 20];
            var before = GC.GetAllocatedBytesForCurrentThread();
            var writer = WriteAndClose(raw, Header(HugeDeclared), body);
            var e = Assert.Throws<IOException>(() => receiver.RecvBytes(frame));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            writer.Join();
            Assert.That(e!.Message, Does.Contain("Got end of file during message"));
            Assert.That(allocated, Is.LessThan(ReceivedPlusSlack), "bytes allocated for 3 MiB received under a 2 GiB header");
        }
    }

    [Test]
    public void ServerFrameBuffer_FramesOfSeveralChunksAndSmallOnes_ArriveIntact()
    {
        var big = new byte[(5 << 20) + 12_345];
        var small = new byte[100];
        new Random(5).NextBytes(big);
        new Random(6).NextBytes(small);
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            var sender = new Thread(() =>
            {
                try
                {
                    a.SendBytes(big);
                    a.SendBytes(small);
                    a.SendBytes(big);
                    a.SendBytes(small);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    // The receiving side failed (and says why) and closed the pair.
                }
            });
            sender.Start();
            var frame = new FrameBuffer(onLargeFrame: null);
            foreach (var (expected, what) in new[] { (big, "big"), (small, "small after big"), (big, "big again"), (small, "small again") })
            {
                frame.Reset();
                b.RecvBytes(frame);
                Assert.That(frame.WrittenSpan.ToArray(), Is.EqualTo(expected), what);
            }

            sender.Join();
        }
    }

    [Test]
    public void RecvBytes_OverMaxMessageLength_RefusedNamingTheLimitBeforeAllocating()
    {
        var (receiver, raw) = MpConnection.Pipe();
        using (receiver)
        using (raw)
        {
            receiver.MaxMessageLength = 1000;
            raw.Transport.Write(Header(HugeDeclared));
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<IOException>(() => receiver.RecvBytes());
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(64 * 1024));
            Assert.That(e!.Message, Does.Contain("MaxMessageLength = 1000").And.Contain(HugeDeclared.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(receiver.Readable, Is.False, "out of step after a refused header");
        }
    }

    [Test]
    public void RecvBytes_PeerStallsMidPayload_TimesOutNamingStallTimeout()
    {
        var (receiver, raw) = MpConnection.Pipe();
        using (receiver)
        using (raw)
        {
            receiver.StallTimeout = TimeSpan.FromMilliseconds(200);
            raw.Transport.Write([.. Header(100), .. new byte[10]]);
            var e = Assert.Throws<TimeoutException>(() => receiver.RecvBytes());
            Assert.That(e!.Message, Does.Contain("StallTimeout = 0.2 s").And.Contain("message 1"));
            Assert.That(receiver.Readable, Is.False);
        }
    }

    [Test]
    public void RecvBytes_PeerStallsMidHeader_TimesOutNamingStallTimeout()
    {
        var (receiver, raw) = MpConnection.Pipe();
        using (receiver)
        using (raw)
        {
            receiver.StallTimeout = TimeSpan.FromMilliseconds(200);
            raw.Transport.Write(Header(100).AsSpan(0, 2));
            var e = Assert.Throws<TimeoutException>(() => receiver.RecvBytes());
            Assert.That(e!.Message, Does.Contain("StallTimeout"));
        }
    }

    [Test]
    public void Listener_MaxMessageLength_GoesToAcceptedConnections()
    {
        using var listener = new Multiprocess.Connection.Listener(Multiprocess.Connection.ConnectionFamily.Unix) { MaxMessageLength = 4096 };
        using var client = Multiprocess.Connection.Client.Connect(listener.Address);
        using var accepted = listener.Accept(TimeSpan.FromSeconds(10));
        Assert.That(accepted.MaxMessageLength, Is.EqualTo(4096));
        client.SendBytes(new byte[5000]);
        Assert.That(() => accepted.RecvBytes(), Throws.InstanceOf<IOException>().With.Message.Contains("MaxMessageLength = 4096"));
    }

    private static byte[] Header(int length)
    {
        var h = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(h, length);
        return h;
    }

    private static Thread WriteAndClose(MpConnection raw, byte[] header, byte[] body)
    {
        var t = new Thread(() =>
        {
            try
            {
                raw.Transport.Write(header);
                raw.Transport.Write(body);
            }
            catch (IOException)
            {
                // The receiver gave up first.
            }
            finally
            {
                raw.Close();
            }
        });
        t.Start();
        return t;
    }
}
