using System.Diagnostics;
using Multiprocess.Connection;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>The server over real sockets with a C# client: lifecycle, every family, errors on the wire, shutdown, many connections.</summary>
public class SyncManagerServerTests
{
    private static readonly byte[] Key = "manager key"u8.ToArray();

    public static IEnumerable<string> Families => ["127.0.0.1:0", "[::1]:0", "unix", "abstract"];

    [TestCaseSource(nameof(Families))]
    public void Serve_Family_CreateAndCallOverProxyConnection(string family)
    {
        using var server = new SyncManagerServer(AddressFor(family), Key);
        server.Start();
        var address = server.BoundAddress;
        Assert.That(server.Address, Does.Not.EndWith(":0"));
        Assert.That(Dispatch(address, Key, "dummy"), Is.EqualTo(PyTuple.Create("#RETURN", null)));
        var ident = Create(address, Key, "dict");
        using var proxy = Proxy(address, Key);
        Assert.That(Request(proxy, ident, "__setitem__", PyTuple.Create("k", 1L))[0], Is.EqualTo("#RETURN"));
        Assert.That(Request(proxy, ident, "__getitem__", PyTuple.Create("k")), Is.EqualTo(PyTuple.Create("#RETURN", 1L)));
        var error = Request(proxy, ident, "__getitem__", PyTuple.Create("nope"));
        Assert.That(error[0], Is.EqualTo("#ERROR"));
        Assert.That(((PyException)error[1]!).TypeName, Is.EqualTo("KeyError"));
        Assert.That(server.NumberOfObjects, Is.EqualTo(1));
    }

    [Test]
    public void Iter_ProxyReplyCarriesTheServersAddress()
    {
        using var server = new SyncManagerServer("127.0.0.1:0", Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "dict");
        using var proxy = Proxy(server.BoundAddress, Key);
        var reply = Request(proxy, ident, "__iter__");
        Assert.That(reply[0], Is.EqualTo("#PROXY"));
        var state = (PyTuple)((PyReduce)((PyTuple)reply[1]!)[1]!).State!;
        var inet = (InetAddress)server.BoundAddress;
        Assert.That(state[1], Is.EqualTo(PyTuple.Create("127.0.0.1", (long)inet.Port)));
    }

    [Test]
    public void Start_Twice_Throws_AndAddressInUseIsAnIOException()
    {
        using var server = new SyncManagerServer("127.0.0.1:0", Key);
        server.Start();
        Assert.That(server.Start, Throws.InvalidOperationException);
        using var second = new SyncManagerServer(server.Address, Key);
        Assert.That(second.Start, Throws.TypeOf<IOException>().With.Message.Contains("Could not listen"));
    }

    [Test]
    public void ClientShutdown_StopsTheServer_AfterTwoReturns()
    {
        using var server = new SyncManagerServer(AddressFor("abstract"), Key);
        server.Start();
        using (var conn = Connect(server.BoundAddress, Key))
        {
            Assert.That(Request(conn, null, "shutdown"), Is.EqualTo(PyTuple.Create("#RETURN", null)));
            Assert.That(PickleSerializer.Loads(conn.RecvBytes(null, TimeSpan.FromSeconds(5))), Is.EqualTo(PyTuple.Create("#RETURN", null)));
        }

        Assert.That(server.WaitForShutdown(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(server.IsStopped, Is.True);
        Assert.That(() => Connect(server.BoundAddress, Key), Throws.InstanceOf<IOException>());
    }

    [Test]
    public void Shutdown_EndsABlockedCallAndClosesTheConnection()
    {
        var server = new SyncManagerServer(AddressFor("unix"), Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "Queue");
        using var proxy = Proxy(server.BoundAddress, Key);
        proxy.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "get", PyTuple.Empty, new PyDict())));
        Thread.Sleep(100);
        server.Dispose();
        // Dispose waits for the connections' threads (5 s at most): a get it had not woken would still be counted.
        Assert.That(server.ActiveConnections, Is.Zero, "the blocked get was not ended");
        Assert.That(() => proxy.RecvBytes(null, TimeSpan.FromSeconds(5)), Throws.InstanceOf<EndOfStreamException>());
    }

    [Test]
    public void WrongKeyAndGarbage_DoNotDisturbOtherClients()
    {
        using var server = new SyncManagerServer("127.0.0.1:0", Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "list");
        using var proxy = Proxy(server.BoundAddress, Key);
        Assert.That(() => Connect(server.BoundAddress, "wrong"u8.ToArray()), Throws.TypeOf<AuthenticationException>());
        using (var bad = Proxy(server.BoundAddress, Key, "bad"))
        {
            bad.SendBytes("not a pickle"u8);
            var reply = (PyTuple)PickleSerializer.Loads(bad.RecvBytes(null, TimeSpan.FromSeconds(5)))!;
            Assert.That(reply[0], Is.EqualTo("#TRACEBACK"));
            Assert.That((string)reply[1]!, Does.Contain("UnpicklingError"));
        }

        Assert.That(Request(proxy, ident, "append", PyTuple.Create(1L))[0], Is.EqualTo("#RETURN"));
        Assert.That(Request(proxy, ident, "__len__"), Is.EqualTo(PyTuple.Create("#RETURN", 1L)));
    }

    [Test]
    public void UnpicklableResultOfAHostMethod_IsUnserializable()
    {
        using var server = new SyncManagerServer(AddressFor("abstract"), Key);
        server.Register("Thing", (_, _) => new Thing());
        server.Start();
        var ident = Create(server.BoundAddress, Key, "Thing");
        using var proxy = Proxy(server.BoundAddress, Key);
        var reply = Request(proxy, ident, "make_stream");
        Assert.That(reply[0], Is.EqualTo("#UNSERIALIZABLE"));
        Assert.That(Request(proxy, ident, "add", PyTuple.Create(2L, 3L)), Is.EqualTo(PyTuple.Create("#RETURN", 5L)));
    }

    [Test]
    public void OneThousandProxyConnectionsAtOnce_AreAllServed()
    {
        using var server = new SyncManagerServer(AddressFor("unix"), Key, new SyncManagerServerOptions { Backlog = 1024 });
        server.Start();
        var ident = Create(server.BoundAddress, Key, "dict");
        var conns = new List<Multiprocess.Connection.Connection>();
        var sw = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                conns.Add(Proxy(server.BoundAddress, Key, $"client-{i}"));
            }

            var opened = sw.Elapsed;
            for (var i = 0; i < conns.Count; i++)
            {
                conns[i].SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, "__setitem__", PyTuple.Create((long)i, (long)i), new PyDict())));
            }

            foreach (var c in conns)
            {
                Assert.That(PickleSerializer.Loads(c.RecvBytes(null, TimeSpan.FromSeconds(20))), Is.EqualTo(PyTuple.Create("#RETURN", null)));
            }

            Assert.That(server.ActiveConnections, Is.EqualTo(1000));
            TestContext.Out.WriteLine($"1000 proxy connections opened in {opened.TotalMilliseconds:F0} ms, all served in {sw.Elapsed.TotalMilliseconds:F0} ms");
        }
        finally
        {
            conns.ForEach(c => c.Close());
        }

        using var check = Proxy(server.BoundAddress, Key);
        Assert.That(Request(check, ident, "__len__"), Is.EqualTo(PyTuple.Create("#RETURN", 1000L)));
    }

    internal static string AddressFor(string family) => family switch
    {
        "unix" => Path.Combine(Path.GetTempPath(), $"mgr-{Environment.ProcessId}-{Guid.NewGuid():N}.sock"),
        "abstract" => $"@mgr-test-{Environment.ProcessId}-{Guid.NewGuid():N}",
        _ => family,
    };

    private sealed class Thing
    {
        public long Add(long a, long b) => a + b;

        public Stream MakeStream() => new MemoryStream();
    }
}
