using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.Managers;

/// <summary>The public functions and reply kinds of CPython's manager server, and its reference counting, at the object level.</summary>
public class ServerProtocolTests
{
    private ServerHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new ServerHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void Create_ReturnsIdentAndExposed_WithMethodToTypeidKeysAppended()
    {
        var reply = _h.Public("create", "dict");
        Assert.That(reply[0], Is.EqualTo("#RETURN"));
        var (ident, exposed) = ((string)((PyTuple)reply[1]!)[0]!, (PyTuple)((PyTuple)reply[1]!)[1]!);
        Assert.That(ident, Does.Match("^[0-9a-f]+$"));
        Assert.That(exposed.Count(n => (string)n! == "__iter__"), Is.EqualTo(2));
        Assert.That(exposed, Does.Contain("has_key"));
        var queue = (PyTuple)((PyTuple)_h.Public("create", "Queue")[1]!)[1]!;
        Assert.That(queue, Is.EqualTo(new PyTuple(["empty", "full", "get", "get_nowait", "join", "put", "put_nowait", "qsize", "shutdown", "task_done"])));
    }

    [Test]
    public void RefCounts_AsCPythonKeepsThem()
    {
        var ident = _h.Create("list");                                       // create: refcount 1
        Assert.That(_h.Public("number_of_objects")[1], Is.EqualTo(1L));
        Assert.That(_h.Public("incref", ident)[0], Is.EqualTo("#RETURN"));    // proxy incref: 2
        Assert.That((string)_h.Public("debug_info")[1]!, Is.EqualTo($"  {ident}:       refcount=2\n    []"));
        _h.Public("decref", ident);
        _h.Public("decref", ident);
        Assert.That(_h.Public("number_of_objects")[1], Is.EqualTo(0L));
        var again = _h.Public("decref", ident);
        Assert.That(again[0], Is.EqualTo("#TRACEBACK"));
        Assert.That((string)again[1]!, Does.EndWith($"KeyError: '{ident}'\n"));
    }

    [Test]
    public void ProxyStoredInsideTheServer_KeepsItsReferentAlive_AndIncrefRevivesIt()
    {
        var c = _h.NewClient();
        var inner = _h.Create("dict");
        var outer = _h.Create("list");
        var proxy = new PyReduce(new PyGlobal("multiprocessing.managers", "RebuildProxy"), PyTuple.Create(
            new PyGlobal("multiprocessing.managers", "DictProxy"),
            PyReduce.NewObj(new PyGlobal("multiprocessing.managers", "Token"), state: PyTuple.Create("dict", "/addr", inner)),
            "pickle",
            new PyDict()));
        var request = PyTuple.Create(outer, "append", PyTuple.Create(proxy), new PyDict());
        _h.Server.NoteProxies(request);
        Assert.That(_h.Server.ServeRequest(request, c)[0], Is.EqualTo("#RETURN"));
        _h.Public("decref", inner);                                         // the client's last reference
        Assert.That(_h.Public("number_of_objects")[1], Is.EqualTo(1L));
        Assert.That(_h.Return(c, inner, "__len__"), Is.EqualTo(0L), "still served from id_to_local_proxy_obj");
        Assert.That(_h.Public("decref", inner)[0], Is.EqualTo("#RETURN"), "decref of a local-only ident is a no-op");
        Assert.That(_h.Public("incref", inner)[0], Is.EqualTo("#RETURN"));
        Assert.That(_h.Public("number_of_objects")[1], Is.EqualTo(2L));
    }

    [Test]
    public void PublicFunctionErrors_AreTracebacks()
    {
        Assert.That((string)_h.Public("nonsense")[1]!, Does.EndWith("AssertionError: 'nonsense' unrecognized\n"));
        Assert.That((string)_h.Public("create", "NoType")[1]!, Does.EndWith("KeyError: 'NoType'\n"));
        Assert.That((string)_h.Public("create")[1]!, Does.Contain("missing 1 required positional argument: 'typeid'"));
        Assert.That((string)_h.Public("create", "Iterator", 1L, 2L)[1]!, Does.Contain("Without callable, must have one non-keyword argument"));
        var bad = _h.Server.HandleRequest(42L, out var followUp, out _);
        Assert.That((bad[0], followUp), Is.EqualTo(("#TRACEBACK", FollowUp.Close)));
        _h.Server.HandleRequest(PyTuple.Create(null, "accept_connection", PyTuple.Create("MainProcess|T1"), new PyDict()), out followUp, out var name);
        Assert.That((followUp, name), Is.EqualTo((FollowUp.ServeClient, "MainProcess|T1")));
        _h.Server.HandleRequest(PyTuple.Create(null, "shutdown", PyTuple.Empty, new PyDict()), out followUp, out _);
        Assert.That(followUp, Is.EqualTo(FollowUp.Shutdown));
    }

    [Test]
    public void ServeRequest_UnexposedMethodsFallBackOnlyForStrReprAndGetvalue()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict", new PyDict { ["a"] = 1L });
        Assert.That(_h.Return(c, d, "__str__"), Is.EqualTo("{'a': 1}"));
        Assert.That(_h.Return(c, d, "#GETVALUE"), Is.EqualTo(new PyDict { ["a"] = 1L }));
        var hidden = _h.Call(c, d, "__class__");
        Assert.That(hidden[0], Is.EqualTo("#TRACEBACK"));
        Assert.That((string)hidden[1]!, Does.Contain("AttributeError: method '__class__' of <class 'dict'> object is not in exposed="));
        Assert.That((string)_h.Call(c, d, "has_key", "a")[1]!, Does.EndWith("AttributeError: 'dict' object has no attribute 'has_key'\n"));
        Assert.That((string)_h.Call(c, "ffff", "__len__")[1]!, Does.EndWith("KeyError: 'ffff'\n"));
    }

    [Test]
    public void Shutdown_UnlinksTrackedSegments()
    {
        using var stop = new CancellationTokenSource();
        var server = new Server(stop.Token) { Segments = new SegmentTracker() };
        var name = $"mgr-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..30];
        File.WriteAllBytes("/dev/shm/" + name, new byte[16]);
        try
        {
            server.HandleRequest(PyTuple.Create(null, "track_segment", PyTuple.Create(name), new PyDict()), out _, out _);
            var list = server.HandleRequest(PyTuple.Create(null, "list_segments", PyTuple.Empty, new PyDict()), out _, out _);
            Assert.That(list[1], Is.EqualTo(new List<object?> { name }));
            server.HandleRequest(PyTuple.Create(null, "shutdown", PyTuple.Empty, new PyDict()), out _, out _);
            Assert.That(File.Exists("/dev/shm/" + name), Is.False);
        }
        finally
        {
            File.Delete("/dev/shm/" + name);
        }
    }
}
