using System.Buffers.Binary;
using Multiprocess.Internal;
using MpConnection = Multiprocess.Connection.Connection;
using RequestWait = Multiprocess.Connection.RequestWait;
using RequestWaitMode = Multiprocess.Connection.RequestWaitMode;
using SocketTransport = Multiprocess.Connection.SocketTransport;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// <c>Connection.WaitForInput</c>: the manager server's wait for a proxy's next request, one recv(2) into the
/// read-ahead buffer bounded by SO_RCVTIMEO, preceded by poll(2) while the peer has not read our last message yet.
/// Once that timeout is set, every later read of the socket must still wait as long as it takes.
/// </summary>
[TestFixture]
public partial class WaitForInputTests
{
    [Test]
    public void TheWaitSleepsThroughThePeerReadingOurReplies()
    {
        // An AF_UNIX socket wakes whoever waits on it each time its peer reads (frees) one of the messages it sent
        // (unix_write_space, "writable"); a thread asleep in recv(2) wakes then, finds nothing and sleeps again, while
        // poll(2) for input filters that wake-up. The server's thread waits for a request while its client reads the
        // previous reply: with a recv(2) wait this thread would wake once per message read below. The replies are still
        // unread when the wait starts, so it polls (RequestWaitMode.Recv makes this test fail: 51 switches).
        // The default wait polls only while other clients are busy too; this test is about the poll's filtering.
        var mode = RequestWait.Mode;
        RequestWait.Mode = RequestWaitMode.Unread;
        try
        {
            SleepsThroughPeerReads();
        }
        finally
        {
            RequestWait.Mode = mode;
        }
    }

    private static void SleepsThroughPeerReads() =>
        Assert.That(SwitchesWhileThePeerReadsReplies(), Is.LessThan(Replies / 5), $"voluntary context switches of the waiting thread while its peer read {Replies} replies");

    private const int Replies = 50;

    /// <summary>
    /// The voluntary context switches of a thread in <c>WaitForInput</c> while its peer reads the 50 replies sent before
    /// it began to wait, one by one, then sends a request (which the wait returns for).
    /// </summary>
    private static long SwitchesWhileThePeerReadsReplies()
    {
        var (readerFd, writerFd) = SocketNative.SocketPair();
        using var b = MpConnection.FromHandle(writerFd);
        using var reader = new ThreadSwitches.OwnedFd(readerFd);
        for (var i = 0; i < Replies; i++)
        {
            b.SendBytes("reply"u8);
        }

        var tid = 0;
        long before = 0, after = 0;
        var waited = false;
        using var asleep = new ManualResetEventSlim();
        var waiter = new Thread(() =>
        {
            tid = ThreadSwitches.CurrentTid();
            before = ThreadSwitches.Voluntary(tid);
            asleep.Set();
            waited = b.WaitForInput(TimeSpan.FromSeconds(30));
            after = ThreadSwitches.Voluntary(tid);
        });
        waiter.Start();
        Assert.That(asleep.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Thread.Sleep(50);
        Span<byte> one = stackalloc byte[4 + 5];
        for (var i = 0; i < Replies; i++)
        {
            // One message per recv(2), so that each read frees one of b's buffers; the pause lets the waiter sleep again.
            Assert.That(SocketNative.Recv(readerFd, one), Is.EqualTo(one.Length));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(one), Is.EqualTo(5));
            Thread.Sleep(2);
        }

        Assert.That(SocketNative.Send(readerFd, [0, 0, 0, 7, .. "request"u8]), Is.EqualTo(11));
        Assert.That(waiter.Join(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(waited, Is.True);
        Assert.That(b.RecvBytes(), Is.EqualTo("request"u8.ToArray()));
        TestContext.Out.WriteLine($"waiting thread (tid {tid}): {after - before} voluntary context switches while its peer read {Replies} replies");
        return after - before;
    }

    [Test]
    public void NothingSent_FalseAtTheTimeout_ThenTheMessageIsReadFromTheBuffer()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            Assert.That(b.WaitForInput(TimeSpan.FromMilliseconds(5)), Is.False);
            a.SendBytes("request"u8);
            Assert.That(b.WaitForInput(TimeSpan.FromMilliseconds(5)), Is.True);
            Assert.That(b.HasBufferedInput, Is.True, "the wait read the message into the read-ahead buffer");
            Assert.That(b.RecvBytes(), Is.EqualTo("request"u8.ToArray()));
        }
    }

    [Test]
    public void AfterATimedOutWait_ABlockingReceiveOutlastsTheTimeout()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            Assert.That(b.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False);
            using var receiving = new ManualResetEventSlim();
            var received = Task.Run(() =>
            {
                receiving.Set();
                return b.RecvBytes();
            });
            Assert.That(receiving.Wait(TimeSpan.FromSeconds(30)), Is.True);
            // The receiver blocks in recv(2) past its 1 ms SO_RCVTIMEO (EAGAIN) and must wait on, not fail.
            Thread.Sleep(20);
            a.SendBytes("late"u8);
            Assert.That(received.Wait(TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(received.Result, Is.EqualTo("late"u8.ToArray()));
        }
    }

    [Test]
    public void PeerClosed_TrueAndTheReceiveReportsEndOfStream()
    {
        var (a, b) = MpConnection.Pipe();
        using (b)
        {
            Assert.That(b.WaitForInput(TimeSpan.FromMilliseconds(1)), Is.False);
            a.Close();
            Assert.That(b.WaitForInput(TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(() => b.RecvBytes(), Throws.InstanceOf<EndOfStreamException>());
        }
    }
}
