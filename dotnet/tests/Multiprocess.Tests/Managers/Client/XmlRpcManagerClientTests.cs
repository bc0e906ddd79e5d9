using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;
using Multiprocess.XmlRpc;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// The C# client with <see cref="ManagerSerializer.Xmlrpclib"/> against real CPython managers started with
/// <c>serializer='xmlrpclib'</c> (manager_server.py): values travel as XML-RPC carries them, and what it cannot
/// carry fails as in Python. Peers: the oldest CPython and 3.13 (pyenv), multiprocess 0.70.12 on 3.12, and in the peer
/// root CPython 3.14 and multiprocess 0.70.19 on it (the newest stdlib and dill).
/// </summary>
[TestFixtureSource(nameof(Peers))]
[Parallelizable(ParallelScope.Fixtures)]
public sealed class XmlRpcManagerClientTests(ManagerPeer peer)
{
    private const string AuthKey = "xml-secret";
    private PythonManagerServer _server = null!;
    private SyncManager _manager = null!;

    public static IEnumerable<ManagerPeer> Peers() =>
    [
        new("3.8", ManagerLibrary.Multiprocessing, "inet"),
        new("3.13", ManagerLibrary.Multiprocessing, "unix"),
        new("3.12", ManagerLibrary.Multiprocess, "unix"),
        new(PythonInterpreters.PeerRootVersion, ManagerLibrary.Multiprocessing, "inet"),
        new(PythonInterpreters.PeerRootVersion, ManagerLibrary.Multiprocess, "unix"),
    ];

    [OneTimeSetUp]
    public void Start()
    {
        _server = PythonManagerServer.Start(peer, AuthKey, "xmlrpclib");
        _manager = new SyncManager(_server.Address, System.Text.Encoding.ASCII.GetBytes(AuthKey), new ManagerOptions
        {
            Library = peer.Library,
            Serializer = ManagerSerializer.Xmlrpclib,
            CallTimeout = TimeSpan.FromSeconds(20),
        });
        _manager.Register("get_queue", a => new QueueProxy(a));
        _manager.Connect();
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _manager?.Dispose();
        _server?.Dispose();
    }

    [Test]
    public void Queue_CarriesXmlRpcValues_TuplesComeBackAsLists()
    {
        using var q = _manager.Create<QueueProxy>("get_queue");
        var sent = new PyTuple(["hallå", null, true, 2.25, (long)int.MaxValue, "bytes"u8.ToArray(), new PyDict { ["k"] = PyTuple.Create(1L) }]);
        q.Put(sent);
        var got = q.Get(timeout: TimeSpan.FromSeconds(5));
        Assert.That(PyRepr.Repr(got), Is.EqualTo("['hallå', None, True, 2.25, 2147483647, b'bytes', {'k': [1]}]"));
    }

    [Test]
    public void Dict_Proxy_Works_AndItsViewsFailAsInPython()
    {
        using var d = _manager.Dict();
        d["a"] = 1L;
        Assert.That(d["a"], Is.EqualTo(1L));
        // dict.items() returns a dict_items view, which CPython's marshaller refuses: #UNSERIALIZABLE (its traceback
        // chains the KeyError of the marshaller's dispatch lookup and the TypeError).
        var e = Assert.Throws<RemoteException>(() => d.CallMethod("items"));
        Assert.That(e!.Message, Does.StartWith("The manager could not serialize its reply to 'items' on dict '").And.Contain("(serializer 'xmlrpclib'): ").And.Not.Contain("pickle"));
        Assert.That(e.RemoteTraceback, Does.Contain("TypeError: cannot marshal <class 'dict_items'> objects"));
    }

    [Test]
    public void Put_ValueXmlRpcCannotCarry_FailsInTheClientWithCPythonsError()
    {
        using var q = _manager.Create<QueueProxy>("get_queue");
        var e = Assert.Throws<XmlRpcException>(() => q.Put(1L << 40));
        Assert.That(e!.Message, Is.EqualTo("OverflowError: int exceeds XML-RPC limits"));
        e = Assert.Throws<XmlRpcException>(() => q.Put(new PySet([1L])));
        Assert.That(e!.Message, Is.EqualTo("TypeError: cannot marshal <class 'set'> objects"));
        q.Put("still usable");
        Assert.That(q.Get(timeout: TimeSpan.FromSeconds(5)), Is.EqualTo("still usable"));
    }
}
