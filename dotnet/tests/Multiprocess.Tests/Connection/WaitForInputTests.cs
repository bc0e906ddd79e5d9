using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// <c>Connection.WaitForInput</c>: the manager server's wait for a proxy's next request, one recv(2) bounded by
/// SO_RCVTIMEO instead of poll(2) and then recv(2). Once that timeout is set, every later read of the socket must
/// still wait as long as it takes.
/// </summary>
[TestFixture]
public class WaitForInputTests
{
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
