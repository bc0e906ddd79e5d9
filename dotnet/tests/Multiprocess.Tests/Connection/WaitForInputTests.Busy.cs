using System.Diagnostics;
using Multiprocess.Connection;
using Multiprocess.Internal;
using MpConnection = Multiprocess.Connection.Connection;
using SocketTransport = Multiprocess.Connection.SocketTransport;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// The default wait (<c>RequestWaitMode.Auto</c>) polls without asking SIOCOUTQ while several clients are busy, which
/// <see cref="ConcurrentRequests"/> tells from two requests being served at once; one client's requests, even over
/// several connections, come one after the other and do not make it poll so.
/// </summary>
[NonParallelizable] // swaps the process-wide ConcurrentRequests.Unix and RequestWait
public partial class WaitForInputTests
{
    [Test]
    public void DefaultWait_AfterTwoRequestsServedAtOnce_SleepsThroughThePeerReadingOurReplies()
    {
        var switches = WithDefaultWait(fresh =>
        {
            using var x = new ServedPair();
            using var y = new ServedPair();
            x.Arrive();
            y.Arrive(); // while x's request is still being served
            Assert.That(fresh.Lately(Stopwatch.GetTimestamp()), Is.True, "two requests served at once");
            Thread.Sleep(10); // past the other test (another connection's wait within 1 ms): the overlap alone decides
            return SwitchesWhileThePeerReadsReplies();
        });
        Assert.That(switches, Is.LessThan(Replies / 5), "the wait polled (poll(2) filters the peer's reads)");
    }

    [Test]
    public void DefaultWait_RequestsOneAfterTheOther_DoNotMakeItPoll()
    {
        // One client over two connections (two managers, say): each request is answered before the next one arrives. The wait is then recv(2)
        // alone, which each read of a reply by the peer wakes (the mechanism TheWaitSleepsThroughThePeerReadingOurReplies
        // describes); a wait that polled would make fewer than 10 switches.
        var switches = WithDefaultWait(fresh =>
        {
            using var x = new ServedPair();
            using var y = new ServedPair();
            for (var i = 0; i < 3; i++)
            {
                x.Arrive();
                x.Answer();
                y.Arrive();
                y.Answer();
            }

            Assert.That(fresh.Lately(Stopwatch.GetTimestamp()), Is.False, "requests one after the other");
            Thread.Sleep(10); // past the other test (another connection's wait within 1 ms), which this one does not cover
            return SwitchesWhileThePeerReadsReplies();
        });
        Assert.That(switches, Is.GreaterThanOrEqualTo(Replies / 2), "the wait was recv(2) alone, woken by each read of a reply");
    }

    [Test]
    public void DefaultWait_AConnectionClosedMidRequest_DoesNotCountAsBusy()
    {
        // A client that dies after sending a request leaves it unanswered; closing its connection ends that request,
        // else every later request of a single client would seem to overlap with it and make the wait poll.
        WithDefaultWait(fresh =>
        {
            using var y = new ServedPair(); // opened first, so its fd is not x's, reused
            var x = new ServedPair();
            x.Arrive();
            x.Dispose();
            y.Arrive();
            Assert.That(fresh.Lately(Stopwatch.GetTimestamp()), Is.False, "x's request ended with its connection");
            return 0;
        });
    }

    [Test]
    public void ConcurrentRequests_AnOverlapCountsForTheWindowOnly()
    {
        var r = new ConcurrentRequests(window: 1000);
        Assert.That(r.Lately(5000), Is.False, "nothing yet");
        r.Arrived(7, 5000);
        r.Served(7);
        r.Arrived(8, 5100);
        Assert.That(r.Lately(5100), Is.False, "7 was answered before 8 arrived");
        r.Arrived(7, 5200); // 8 still being served
        Assert.Multiple(() =>
        {
            Assert.That(r.Lately(5200), Is.True);
            Assert.That(r.Lately(6199), Is.True);
            Assert.That(r.Lately(6200), Is.False, "the window has passed");
        });
    }

    [Test]
    public void ConcurrentRequests_ThirdConnection_OverlapsWithEitherSlot()
    {
        var r = new ConcurrentRequests(window: 1000);
        r.Arrived(7, 0);
        r.Served(7);
        r.Arrived(8, 10);
        r.Served(8);
        r.Arrived(9, 20); // takes a slot; nothing else is being served
        Assert.That(r.Lately(20), Is.False);
        r.Arrived(10, 30); // 9 is being served
        Assert.That(r.Lately(30), Is.True);
    }

    [Test]
    public void ConcurrentRequests_OneClientOverManyConnections_NeverOverlaps()
    {
        var r = new ConcurrentRequests(window: long.MaxValue / 4);
        for (var i = 0; i < 1000; i++)
        {
            var fd = 3 + (i % 5);
            r.Arrived(fd, i);
            r.Served(fd);
        }

        Assert.That(r.Lately(1000), Is.False);
    }

    private static long WithDefaultWait(Func<ConcurrentRequests, long> body)
    {
        var mode = RequestWait.Mode;
        var requests = ConcurrentRequests.Unix;
        var fresh = new ConcurrentRequests(Stopwatch.Frequency * 3600); // nothing else's overlaps, and no expiry mid-test
        RequestWait.Mode = RequestWaitMode.Auto;
        ConcurrentRequests.Unix = fresh;
        try
        {
            return body(fresh);
        }
        finally
        {
            ConcurrentRequests.Unix = requests;
            RequestWait.Mode = mode;
        }
    }

    /// <summary>A server connection and its client's raw end: the client sends a request, the server waits for it and answers.</summary>
    private sealed class ServedPair : IDisposable
    {
        private readonly MpConnection _server;
        private readonly int _clientFd;

        public ServedPair()
        {
            var (clientFd, serverFd) = SocketNative.SocketPair();
            _clientFd = clientFd;
            _server = MpConnection.FromHandle(serverFd);
        }

        /// <summary>The client's request arrives: the server's wait (the one under test) returns it.</summary>
        public void Arrive()
        {
            Assert.That(SocketNative.Send(_clientFd, [0, 0, 0, 2, (byte)'h', (byte)'i']), Is.EqualTo(6));
            Assert.That(_server.WaitForInput(TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(_server.RecvBytes(), Is.EqualTo("hi"u8.ToArray()));
        }

        /// <summary>The server answers; the client reads the answer.</summary>
        public void Answer()
        {
            _server.SendBytes("ok"u8);
            Span<byte> reply = stackalloc byte[6];
            Assert.That(SocketNative.Recv(_clientFd, reply), Is.EqualTo(6));
        }

        public void Dispose()
        {
            _server.Dispose();
            SocketNative.Close(_clientFd);
        }
    }
}
