using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>The manager client against a scripted manager: the exact public-function sequence and the replies no CPython manager sends.</summary>
public sealed class MockManagerTests
{
    private static readonly byte[] s_key = "mock"u8.ToArray();
    private MockManager _mock = null!;
    private SyncManager _manager = null!;

    [SetUp]
    public void Start()
    {
        _mock = new MockManager(s_key);
        _mock.Reply = (ident, method, args) => method switch
        {
            "create" => MockManager.Return(PyTuple.Create("a1", PyTuple.Create("__iter__", "get"))),
            "__iter__" => PyTuple.Create("#PROXY", PyTuple.Create(
                PyTuple.Create("__next__"),
                new Token("Iterator", new Multiprocess.Connection.InetAddress("10.9.8.7", 1), "b2").ToPython(ManagerLibrary.Multiprocessing))),
            "kind" => PyTuple.Create("#WHAT", 1L),
            "tb" => PyTuple.Create("#TRACEBACK", 42L),
            "shape" => (object?)"not a tuple",
            "close" => "close",
            "silent" => "silent",
            _ => MockManager.Return(null),
        };
        _manager = new SyncManager(_mock.Address, s_key, new ManagerOptions { CallTimeout = TimeSpan.FromSeconds(10) });
        _manager.Connect();
    }

    [TearDown]
    public void Stop()
    {
        _manager.Dispose();
        _mock.Dispose();
    }

    [Test]
    public void Create_ThenDispose_PublicCallsMatchPython()
    {
        var d = _manager.Dict();
        d.Dispose();
        // managers.py: connect → dummy; register.temp → create, incref (new proxy), decref; finalizer → decref.
        Assert.That(_mock.PublicCalls, Is.EqualTo(new[] { "dummy", "create", "incref a1", "decref a1", "decref a1" }));
        Assert.That(_mock.Requests.Single(r => r.Method == "create").Args, Is.EqualTo(PyTuple.Create("dict")));
    }

    [Test]
    public void ProxyReply_AddressOverwrittenAndRefcountedAsPython()
    {
        using var d = _manager.Dict();
        using (var it = d.Iter())
        {
            Assert.That(it.Token.Address, Is.EqualTo(_mock.Address), "#PROXY token address is replaced by the caller's");
            Assert.That(it.Token.Id, Is.EqualTo("b2"));
            Assert.That(it.Exposed, Is.EqualTo(new[] { "__next__" }));
        }

        Assert.That(_mock.PublicCalls.Skip(4), Is.EqualTo(new[] { "accept_connection", "incref b2", "decref b2", "decref b2" }));
    }

    [Test]
    public void UnknownReplyKind_ThrowsProcessExceptionNamingIt()
    {
        using var d = _manager.Dict();
        Assert.That(() => d.CallMethod("kind"), Throws.TypeOf<ProcessException>().With.Message.Contains("Unrecognized message type '#WHAT'"));
        Assert.That(() => d.CallMethod("tb"), Throws.TypeOf<ProcessException>().With.Message.Contains("#TRACEBACK whose result is not a str: 42"));
        Assert.That(() => d.CallMethod("shape"), Throws.TypeOf<ProcessException>().With.Message.Contains("not a (kind, result) pair: 'not a tuple'"));
        Assert.That(d.CallMethod("get"), Is.Null, "the connection stays usable after a bad reply");
    }

    [Test]
    public void ManagerClosesMidCall_EndOfStreamThenNewConnection()
    {
        using var d = _manager.Dict();
        Assert.That(() => d.CallMethod("close"), Throws.TypeOf<EndOfStreamException>().With.Message.Contains("closed the connection before answering 'close' on dict 'a1'"));
        Assert.That(d.CallMethod("get"), Is.Null);
        Assert.That(_mock.PublicCalls.Count(c => c == "accept_connection"), Is.EqualTo(2), "the broken connection was replaced");
    }

    [Test]
    public void NoReply_CallTimeoutThrowsAndDropsConnection()
    {
        using var manager = new SyncManager(_mock.Address, s_key, new ManagerOptions { CallTimeout = TimeSpan.FromMilliseconds(200) });
        manager.Connect();
        using var d = manager.Dict();
        Assert.That(() => d.CallMethod("silent"), Throws.TypeOf<TimeoutException>().With.Message.Contains("did not answer 'silent'"));
        Assert.That(d.CallMethod("get"), Is.Null);
    }

    [Test]
    public async Task NoReply_AsyncCancellationDropsConnection()
    {
        using var d = _manager.Dict();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.That(async () => await d.CallMethodAsync("silent", cancellationToken: cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await d.CallMethodAsync("get"), Is.Null);
    }

    [Test]
    public void Rebuild_ForeignAddress_UsesEndpointForThatAddress()
    {
        using var other = new MockManager(s_key);
        var value = new PyReduce(new PyGlobal("multiprocessing.managers", "RebuildProxy"), PyTuple.Create(
            new PyGlobal("multiprocessing.managers", "ValueProxy"),
            new Token("Value", other.Address, "c3").ToPython(ManagerLibrary.Multiprocessing), "pickle", new PyDict()));
        using var proxy = (ValueProxy)PickleSerializer.Loads(PickleSerializer.Dumps(value), _manager.UnpickleOptions)!;
        proxy.Set(5L);
        Assert.That(other.PublicCalls, Is.EqualTo(new[] { "incref c3", "accept_connection" }));
        Assert.That(other.Requests.Last().Method, Is.EqualTo("set"));
    }
}
