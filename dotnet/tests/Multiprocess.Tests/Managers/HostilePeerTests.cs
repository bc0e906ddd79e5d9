using System.Buffers.Binary;
using System.Net.Sockets;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The manager server's limits against hostile peers on raw sockets, while a real CPython client keeps working:
/// a lying header (MaxMessageLength), connect-and-say-nothing floods (MaxUnauthenticatedConnections,
/// HandshakeTimeout), too many connections (MaxConnections), silent proxies (IdleTimeout) and mid-request stalls
/// (StallTimeout). Each refusal is logged with the limit, its value and the peer.
/// </summary>
public class HostilePeerTests
{
    private static readonly byte[] Key = "hostile key"u8.ToArray();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public void LyingHeaderAfterHandshake_PeerDroppedNamingTheLimit_CPythonClientServed()
    {
        var log = new StringWriter();
        using var server = Start(new SyncManagerServerOptions { MaxMessageLength = 1 << 20, Logger = new TextWriterLogger(log) });
        using var hostile = Connect(server.BoundAddress, Key);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 0x7FFFFFC7);
        hostile.Transport.Write(header);
        hostile.Transport.Write(new byte[100]);

        UseFromCPython(server, "3.12");
        // The server drops the peer after the header, with the 100 bytes behind it possibly still unread; Linux then
        // sends RST instead of FIN, so the hostile end sees either EOF or ECONNRESET: both say the server closed it.
        var e = Assert.Catch<IOException>(() => hostile.RecvBytes(null, Patience));
        Assert.That(e is EndOfStreamException || e!.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }, Is.True,
            $"the server closed the hostile connection (EOF or reset), but RecvBytes threw: {e}");
        Assert.That(Logged(log), Does.Contain("MaxMessageLength = 1048576").And.Contain("2147483591").And.Contain("127.0.0.1:"));
    }

    [Test]
    public void SilentConnectionFlood_OldestEvicted_CPythonClientServed_AllClosedByTheDeadline()
    {
        var log = new StringWriter();
        using var server = Start(new SyncManagerServerOptions { MaxUnauthenticatedConnections = 4, HandshakeTimeout = TimeSpan.FromSeconds(2), Logger = new TextWriterLogger(log) });
        var inet = (InetAddress)server.BoundAddress;
        var silent = new List<Socket>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Connect(inet.Host, inet.Port);
                silent.Add(s);
            }

            UseFromCPython(server, "3.8");
            foreach (var s in silent)
            {
                // Each one is closed by the server: evicted, or at the handshake deadline. Read until EOF.
                s.ReceiveTimeout = (int)Patience.TotalMilliseconds;
                var buffer = new byte[256];
                while (s.Receive(buffer) > 0)
                {
                }
            }
        }
        finally
        {
            silent.ForEach(s => s.Dispose());
        }

        var text = Logged(log);
        Assert.That(text, Does.Contain("MaxUnauthenticatedConnections = 4"));
        Assert.That(text, Does.Contain("HandshakeTimeout = 2 s"));
    }

    [Test]
    public void ConnectionsBeyondMaxConnections_RefusedAndLogged_FreedSlotServesAgain()
    {
        var log = new StringWriter();
        using var server = Start(new SyncManagerServerOptions { MaxConnections = 3, Logger = new TextWriterLogger(log) });
        var proxies = Enumerable.Range(0, 3).Select(_ => Proxy(server.BoundAddress, Key)).ToList();
        try
        {
            Assert.That(() => Dispatch(server.BoundAddress, Key, "dummy"), Throws.InstanceOf<IOException>().Or.InstanceOf<AuthenticationException>());
            Assert.That(Logged(log), Does.Contain("MaxConnections = 3").And.Contain("refused connection from 127.0.0.1:"));
            proxies[0].Close();
            Assert.That(SpinWait.SpinUntil(() => server.ActiveConnections < 3, Patience), Is.True, "the closed proxy's slot is freed");
            Assert.That(Dispatch(server.BoundAddress, Key, "dummy"), Is.EqualTo(PyTuple.Create("#RETURN", null)));
        }
        finally
        {
            proxies.ForEach(p => p.Close());
        }
    }

    [Test]
    public void SilentProxyConnection_ClosedAtTheIdleLimit()
    {
        var log = new StringWriter();
        using var server = Start(new SyncManagerServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300), Logger = new TextWriterLogger(log) });
        using var proxy = Proxy(server.BoundAddress, Key);
        Assert.That(() => proxy.RecvBytes(null, Patience), Throws.InstanceOf<EndOfStreamException>());
        Assert.That(Logged(log), Does.Contain("IdleTimeout = 0.3 s").And.Contain("proxy connection 'MainProcess'"));
    }

    [Test]
    public void RequestStalledMidPayload_DroppedAtTheStallLimit_OthersServed()
    {
        var log = new StringWriter();
        using var server = Start(new SyncManagerServerOptions { StallTimeout = TimeSpan.FromMilliseconds(300), Logger = new TextWriterLogger(log) });
        using var proxy = Proxy(server.BoundAddress, Key);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 1000);
        proxy.Transport.Write(header);
        proxy.Transport.Write(new byte[10]);
        Assert.That(Dispatch(server.BoundAddress, Key, "dummy"), Is.EqualTo(PyTuple.Create("#RETURN", null)));
        Assert.That(() => proxy.RecvBytes(null, Patience), Throws.InstanceOf<EndOfStreamException>());
        Assert.That(Logged(log), Does.Contain("StallTimeout = 0.3 s").And.Contain("127.0.0.1:"));
    }

    private static SyncManagerServer Start(SyncManagerServerOptions options)
    {
        var server = new SyncManagerServer("127.0.0.1:0", Key, options);
        server.Start();
        return server;
    }

    /// <summary>A stock CPython client: connect, create a dict, write and read it back.</summary>
    private static void UseFromCPython(SyncManagerServer server, string version)
    {
        var inet = (InetAddress)server.BoundAddress;
        using var python = PythonRepl.Start(version);
        python.Exec($"""
            from multiprocessing.managers import SyncManager
            m = SyncManager(('{inet.Host}', {inet.Port}), authkey=b'hostile key')
            m.connect()
            d = m.dict()
            d['k'] = 41
            d['k'] += 1
            """, Patience);
        Assert.That(python.Eval("d['k']", Patience), Is.EqualTo("42"));
    }

    private static string Logged(StringWriter log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
