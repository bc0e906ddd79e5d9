using System.Buffers;
using Multiprocess.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// The manager server's per-call path: a request taken where recv(2) put it (<c>RecvBytesInPlace</c>) and a reply
/// written behind its header's room and sent in one send(2) (<c>FrameWriter</c>, <c>SendFrame</c>).
/// </summary>
[TestFixture]
public class InPlaceFrameTests
{
    [Test]
    public void RecvBytesInPlace_SmallGrowingAndOverTheLimit_EachMessageWhole()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            byte[][] messages = [Pattern(10, 1), Pattern(10_000, 2), Pattern(20_000, 3), [], Pattern(16 * 1024, 4)];
            var sending = Task.Run(() =>
            {
                foreach (var m in messages)
                {
                    a.SendBytes(m);
                }
            });
            var destination = new ArrayBufferWriter<byte>();
            foreach (var (m, inPlace) in messages.Zip(new[] { true, true, false, true, true }))
            {
                destination.ResetWrittenCount();
                var took = b.RecvBytesInPlace(destination, 16 * 1024, out var payload);
                var received = (took ? payload : destination.WrittenSpan).ToArray();
                Assert.Multiple(() =>
                {
                    Assert.That(took, Is.EqualTo(inPlace), $"message of {m.Length} bytes taken in place");
                    Assert.That(received, Is.EqualTo(m));
                });
            }

            Assert.That(sending.Wait(TimeSpan.FromSeconds(30)), Is.True);
        }
    }

    [Test]
    public void SendFrame_BeforeAndAfterTheReceiveTimeoutIsSet_ThePeerReadsEachMessage()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            var frame = new FrameWriter();
            Send(b, frame, Pattern(100, 5));
            Assert.That(a.RecvBytes(), Is.EqualTo(Pattern(100, 5)));

            // Once WaitForInput set SO_RCVTIMEO (the socket is known to be blocking) the send goes through libc.
            Assert.That(b.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False);
            var reading = Task.Run(() => a.RecvBytes());
            var large = Pattern(1 << 20, 6); // more than the socket buffer: send(2) returns short and is called again
            Send(b, frame, large);
            Assert.That(reading.Wait(TimeSpan.FromSeconds(60)), Is.True);
            Assert.That(reading.Result, Is.EqualTo(large));
            Send(b, frame, []);
            Assert.That(a.RecvBytes(), Is.Empty);
        }
    }

    [Test]
    public void SendFrame_PeerClosed_IOException()
    {
        var (a, b) = MpConnection.Pipe();
        using (b)
        {
            Assert.That(b.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False);
            a.Close();
            var frame = new FrameWriter();
            Assert.That(() =>
            {
                // The first send may still be accepted; the ones after the peer's close fail (EPIPE / ECONNRESET).
                for (var i = 0; i < 100; i++)
                {
                    Send(b, frame, Pattern(1000, 7));
                }
            }, Throws.InstanceOf<IOException>());
        }
    }

    private static void Send(MpConnection connection, FrameWriter frame, byte[] payload)
    {
        frame.Reset();
        payload.CopyTo(frame.GetSpan(payload.Length));
        frame.Advance(payload.Length);
        connection.SendFrame(frame);
    }

    private static byte[] Pattern(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed))];
}
