using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public void Error_ExceptionInstances_MapToDotNetExceptionsWithPythonTypeAndArgs()
    {
        using var inspector = Inspector();
        var key = Assert.Throws<KeyNotFoundException>(() => inspector.Call("fail", "key"));
        Assert.That(PythonError(key!)!.Args, Is.EqualTo(PyTuple.Create("missing")));
        var value = Assert.Throws<ArgumentException>(() => inspector.Call("fail", "value"));
        Assert.That(PythonError(value!)!.Args, Is.EqualTo(PyTuple.Create("bad value", 7L)));
        Assert.That(value!.Message, Is.EqualTo("ValueError: ('bad value', 7)"));
        var assertion = Assert.Throws<InvalidOperationException>(() => inspector.Call("fail", "assert"));
        Assert.That(PythonError(assertion!)!.TypeName, Is.EqualTo("AssertionError"));
        var custom = Assert.Throws<PyRaisedException>(() => inspector.Call("fail", "custom"));
        Assert.Multiple(() =>
        {
            Assert.That(custom!.Value.Type, Is.EqualTo(new PyGlobal("__main__", "Boom")));
            Assert.That(custom.Value.Args, Is.EqualTo(PyTuple.Create("boom", 1L)));
            Assert.That(custom.GetPythonException(), Is.SameAs(custom.Value));
        });
    }

    [Test]
    public void Error_MethodNotExposed_RemoteExceptionCarriesTraceback()
    {
        using var l = _manager.List();
        var e = Assert.Throws<RemoteException>(() => l.CallMethod("no_such_method"));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Message, Does.Contain("AttributeError: method 'no_such_method' of <class 'list'> object is not in exposed"));
            Assert.That(e.RemoteTraceback, Does.StartWith("Traceback (most recent call last):"));
            Assert.That(e.ToString(), Does.Contain(new string('-', 75)));
            Assert.That(e.GetPythonException(), Is.Null);
        });
    }

    [Test]
    public void Error_AutoProxyMethodNotExposed_MissingMemberWithoutACall()
    {
        using var inspector = Inspector();
        Assert.That(() => inspector.Call("no_such_method"), Throws.InstanceOf<MissingMemberException>().With.Message.Contains("no attribute 'no_such_method'"));
        Assert.That(inspector.Exposed, Is.EquivalentTo(new[] { "apply", "call", "describe", "dumps", "echo", "fail", "make_lambda", "pid", "sleep", "unserializable", "wait_sleeping" }));
        Assert.That(inspector.Call("echo", new PyTuple(1L, "a"), new PyDict { ["k"] = 2L }), Is.EqualTo(PyTuple.Create(PyTuple.Create(1L, "a"), new PyDict { ["k"] = 2L })));
    }

    [Test]
    public void Error_UnpicklableResult_RemoteExceptionUnserializable()
    {
        using var inspector = Inspector();
        var e = Assert.Throws<RemoteException>(() => inspector.Call("unserializable"));
        Assert.That(e!.RemoteTraceback, Does.StartWith("Unserializable message: Traceback"));
        Assert.That(e.Message, Does.Contain("could not serialize its reply to").And.Contain("(serializer 'pickle')"));
        Assert.That(inspector.Call("echo", 1L), Is.EqualTo(PyTuple.Create(PyTuple.Create(1L), new PyDict())), "the connection stays usable");
    }

    [Test]
    public void Error_ObjectGoneFromManager_RemoteExceptionKeyError()
    {
        var d = _manager.Dict();
        d.Dispose();
        Assert.That(() => d["x"], Throws.InstanceOf<ObjectDisposedException>());

        // A second proxy for the same token is rebuilt from a pickle with incref=False, so nothing keeps the object.
        using var l = _manager.List();
        var token = l.Token;
        var rebuilt = (ListProxy)PickleSerializer.Loads(
            PickleSerializer.Dumps(Rebuild("ListProxy", token, new PyDict { ["incref"] = false }), _manager.PickleOptions),
            _manager.UnpickleOptions)!;
        l.Dispose();
        var e = Assert.Throws<RemoteException>(() => rebuilt.Append(1L));
        Assert.That(e!.Message, Does.Contain("KeyError"));
    }

    [Test]
    public void Error_ManagerKilledMidCall_EndOfStreamPromptly()
    {
        if (peer.Family != "inet")
        {
            Assert.Ignore("checked once per version, over AF_INET");
        }

        using var server = PythonManagerServer.Start(peer, AuthKey);
        using var manager = new SyncManager(server.Address, s_authKey, Options(peer.Library));
        manager.Register("Inspector");
        manager.Connect();
        var inspector = (AutoProxy)manager.Create("Inspector");
        var call = Task.Run(() => inspector.Call("sleep", 30.0));
        using (var probe = (AutoProxy)manager.Create("Inspector"))
        {
            Assert.That(probe.Call("wait_sleeping", 60.0), Is.EqualTo(true), "the sleep call never began");
        }

        server.Kill();
        // The call ends with the kill, not with the 30 s sleep: it fails well before that.
        var e = Assert.Throws<AggregateException>(() => call.Wait(TimeSpan.FromSeconds(25)));
        Assert.That(e!.InnerException, Is.InstanceOf<EndOfStreamException>().With.Message.Contains("closed the connection before answering 'sleep'"));
        Assert.That(() => inspector.Call("pid"), Throws.InstanceOf<IOException>(), "a new connection is refused");
        inspector.Dispose(); // the decref fails quietly, as in Python
    }

    private PyReduce Rebuild(string proxyClass, Token token, PyDict kwds)
    {
        var module = peer.IsMultiprocess ? "multiprocess.managers" : "multiprocessing.managers";
        return new PyReduce(new PyGlobal(module, "RebuildProxy"),
            PyTuple.Create(new PyGlobal(module, proxyClass), token.ToPython(peer.Library), "pickle", kwds));
    }
}
