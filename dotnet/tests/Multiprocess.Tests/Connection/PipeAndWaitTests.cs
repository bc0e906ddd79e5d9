using System.Net.Sockets;
using Multiprocess.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

[TestFixture]
public class PipeAndWaitTests
{
    [Test]
    public void Pipe_Duplex_BothEndsSendAndReceive()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            a.SendBytes("ping"u8);
            Assert.That(b.RecvBytes(), Is.EqualTo("ping"u8.ToArray()));
            b.SendBytes("pong"u8);
            Assert.That(a.RecvBytes(), Is.EqualTo("pong"u8.ToArray()));
            Assert.That((a.Readable, a.Writable, b.Readable, b.Writable), Is.EqualTo((true, true, true, true)));
        }
    }

    [Test]
    public void Pipe_OneWay_ReaderOnlyReadsAndWriterOnlyWrites()
    {
        var (reader, writer) = MpConnection.Pipe(duplex: false);
        using (reader)
        using (writer)
        {
            writer.SendBytes(new byte[100_000].AsSpan(0, 10));
            Assert.That(reader.RecvBytes(), Has.Length.EqualTo(10));
            Assert.That((reader.Readable, reader.Writable, writer.Readable, writer.Writable), Is.EqualTo((true, false, false, true)));
            Assert.That(() => reader.SendBytes([1]), Throws.InvalidOperationException.With.Message.Contains("read-only"));
            Assert.That(() => writer.RecvBytes(), Throws.InvalidOperationException.With.Message.Contains("write-only"));
        }
    }

    [Test]
    public async Task Pipe_OneWay_AsyncReceiveAndCancellation()
    {
        var (reader, writer) = MpConnection.Pipe(duplex: false);
        using (reader)
        using (writer)
        {
            using var cts = new CancellationTokenSource(100);
            Assert.That(async () => await reader.RecvBytesAsync(null, cts.Token), Throws.InstanceOf<OperationCanceledException>());

            var pending = reader.RecvBytesAsync();
            await writer.SendBytesAsync(new byte[] { 1, 2 });
            Assert.That(await pending, Is.EqualTo(new byte[] { 1, 2 }));

            writer.Close();
            Assert.That(async () => await reader.RecvBytesAsync(), Throws.TypeOf<EndOfStreamException>());
        }
    }

    [Test]
    public void Wait_NothingReady_ReturnsEmptyAfterTimeout()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            var started = DateTime.UtcNow;
            var ready = MpConnection.Wait([a, b], TimeSpan.FromMilliseconds(100));
            Assert.That(ready, Is.Empty);
            Assert.That(DateTime.UtcNow - started, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90)));
            Assert.That(MpConnection.Wait([a, b], TimeSpan.FromSeconds(-1)), Is.Empty);
        }
    }

    [Test]
    public void Wait_MixedObjects_ReturnsReadyOnesInInputOrder()
    {
        var (a1, b1) = MpConnection.Pipe();
        var (a2, b2) = MpConnection.Pipe();
        var (r, w) = MpConnection.Pipe(duplex: false);
        using var listener = new Listener(new UnixAbstractAddress($"mp-wait-{Environment.ProcessId}-{Guid.NewGuid():N}"), backlog: 4);
        using (a1)
        using (b1)
        using (a2)
        using (b2)
        using (r)
        using (w)
        {
            b2.SendBytes([1]);
            w.SendBytes([2]);
            using var client = Client.Connect(listener.Address);

            object[] objects = [a1, a2, r.Fileno(), listener];
            var ready = MpConnection.Wait(objects, TimeSpan.FromSeconds(5));

            Assert.That(ready, Is.EqualTo(new object[] { a2, r.Fileno(), listener }));
        }
    }

    [Test]
    public void Wait_SocketAndClosedPeer_CountAsReady()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            b.Close();
            var ready = MpConnection.Wait(new object[] { socket, a }, TimeSpan.FromSeconds(5));

            // An unconnected TCP socket polls as hung up; a peer that closed is end of stream: both "ready".
            Assert.That(ready, Is.EqualTo(new object[] { socket, a }));
        }
    }

    [Test]
    public void Wait_BufferedInput_IsReadyAtOnce()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        using (b)
        {
            // Two small messages arrive in one read; after the first is returned the second is only in our buffer.
            a.SendBytes([1]);
            a.SendBytes([2]);   // both are in the kernel's buffer once SendBytes returns
            Assert.That(b.RecvBytes(), Is.EqualTo(new byte[] { 1 }));
            Assert.That(b.HasBufferedInput, Is.True);
            Assert.That(MpConnection.Wait([b], TimeSpan.Zero), Is.EqualTo(new[] { b }));
            Assert.That(b.Poll(), Is.True);
        }
    }

    [Test]
    public void Wait_UnsupportedObject_ThrowsNamingItsTypeAndIndex()
    {
        Assert.That(() => MpConnection.Wait(new object[] { 0, "not a handle" }, TimeSpan.Zero),
            Throws.ArgumentException.With.Message.Contains("Element 1").And.Message.Contains("System.String"));
    }

    [Test]
    public void FromHandle_WrapsAnInheritedFd()
    {
        var (a, b) = MpConnection.Pipe();
        using (a)
        {
            var fd = Dup(b.Fileno());
            b.Close();
            using var c = MpConnection.FromHandle(fd);
            a.SendBytes("via fd"u8);
            Assert.That(c.RecvBytes(), Is.EqualTo("via fd"u8.ToArray()));
        }
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "dup")]
    private static extern int Dup(int fd);
}
