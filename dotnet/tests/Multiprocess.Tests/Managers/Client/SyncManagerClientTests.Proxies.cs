using System.Text.Json;
using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public void CSharpProxyInValue_ArrivesInPythonAsWorkingProxy() => AssertNoLeak(() =>
    {
        using var d = _manager.Dict(new PyDict { ["k"] = "v" });
        using var l = _manager.List();
        using var inspector = Inspector();
        l.Append(d);
        Assert.That(inspector.Call("describe", d), Is.EqualTo(PyTuple.Create("DictProxy", true)));
        Assert.That(inspector.Call("call", d, "get", "k"), Is.EqualTo("v"), "Python called the proxy it received");
        Assert.That(inspector.Call("call", l, "__len__"), Is.EqualTo(1L));
        using var q = _manager.Queue();
        if (ManagerRebuildsAutoProxies)
        {
            Assert.That(inspector.Call("describe", q), Is.EqualTo(PyTuple.Create("AutoProxy[Queue]", true)));
        }
    });

    [Test]
    public void ProxyInsideValue_ArrivesInCSharpAsLiveProxyWithIncref() => AssertNoLeak(() =>
    {
        using var d = _manager.Dict(new PyDict { ["k"] = 1L });
        using var l = _manager.List();
        l.Append(d);
        l.Append(PyTuple.Create("nested", d));
        using var back = (DictProxy)l[0]!;
        Assert.That(back.Token.Id, Is.EqualTo(d.Token.Id));
        Assert.That(back["k"], Is.EqualTo(1L));
        back["k"] = 2L;
        Assert.That(d["k"], Is.EqualTo(2L));
        Assert.That(_manager.DebugInfo(), Does.Contain($"{d.Token.Id}:       refcount=2"), "d and its rebuilt copy");
        var tuple = (PyTuple)l[1]!;
        using (var inTuple = (DictProxy)tuple[1]!)
        {
            Assert.That(inTuple.Count, Is.EqualTo(1));
        }

        var all = l.ToList();
        Assert.That(all, Has.Count.EqualTo(2));
        foreach (var proxy in all.OfType<BaseProxy>().Concat(all.OfType<PyTuple>().SelectMany(t => t.AsSpan().ToArray().OfType<BaseProxy>())))
        {
            proxy.Dispose();
        }
    });

    private PickleOptions AtProtocol(int protocol) => new() { Registry = _manager.TypeRegistry, Protocol = protocol };

    [Test]
    public void ProxyPickle_SameAsPythonProxyReduce()
    {
        using var d = _manager.Dict();
        using var q = _manager.Queue();
        using var inspector = Inspector();
        var module = peer.IsMultiprocess ? "multiprocess.managers" : "multiprocessing.managers";
        var ours = d.ToPython();
        Assert.Multiple(() =>
        {
            Assert.That(ours.Callable, Is.EqualTo(new PyGlobal(module, "RebuildProxy")));
            Assert.That(ours.Args[0], Is.EqualTo(new PyGlobal(module, "DictProxy")));
            Assert.That(ours.Args[2], Is.EqualTo("pickle"));
            Assert.That(ours.Args[3], Is.EqualTo(new PyDict()));
            var auto = q.ToPython();
            Assert.That(auto.Args[0], Is.EqualTo(new PyGlobal(module, "AutoProxy")));
            Assert.That(((PyDict)auto.Args[3]!)["exposed"], Is.InstanceOf<PyTuple>().And.Contains("put"));
        });

        // The proxy Python rebuilt from our pickle reduces to the same (RebuildProxy, args)...
        var python = (PyTuple)inspector.Call("call", d, "__reduce__")!;
        Assert.That(python[0], Is.EqualTo(ours.Callable));
        Assert.That(PyObjectComparer.Structural.Equals(python[1], ours.Args), Is.True, $"{PyRepr.Repr(python[1])} vs {PyRepr.Repr(ours.Args)}");
        if (!peer.IsMultiprocess)
        {
            // ...and CPython's pickler writes exactly our bytes (dill's pure-Python pickler frames differently).
            // At the manager's own default protocol (4 before 3.14, 5 from 3.14; the client sends 5 by default).
            var bytes = (byte[])inspector.Call("dumps", d)!;
            Assert.That(bytes[1], Is.EqualTo(peer.Version == "3.14" ? 5 : 4), "ForkingPickler's default protocol");
            Assert.That(PickleSerializer.Dumps(d, AtProtocol(bytes[1])), Is.EqualTo(bytes));
        }

        if (ManagerRebuildsAutoProxies)
        {
            var queueBytes = (byte[])inspector.Call("dumps", q)!;
            Assert.That(PickleSerializer.Dumps(q, AtProtocol(queueBytes[1])), Is.EqualTo(queueBytes));
        }
    }

    [Test]
    public void PythonClientProcess_SeesCSharpNestedProxyAndSendsOneBack()
    {
        using var q = (QueueProxy)_manager.Create("get_queue");
        using var d = _manager.Dict(new PyDict { ["k"] = "from C#" });
        using var l = _manager.List();
        l.Append(d);
        q.Put(l);

        var env = peer.IsMultiprocess ? $"import sys; sys.path.insert(0, {JsonSerializer.Serialize(RepoPaths.MultiprocessShim)}); " : "";
        var script = env + $"import runpy, sys; sys.argv = ['manager_client.py'] + sys.argv[1:]; runpy.run_path({JsonSerializer.Serialize(ClientScript)}, run_name='__main__')";
        var stdout = PythonInterpreters.RunScript(PythonInterpreters.Get(peer.Version), script, TimeSpan.FromSeconds(60),
            [peer.LibraryName, _server.Address.ToString(), AuthKey]);
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("received_type").GetString(), Is.EqualTo("ListProxy"));
            Assert.That(r.GetProperty("inner_type").GetString(), Is.EqualTo("DictProxy"));
            Assert.That(r.GetProperty("inner_value").GetString(), Is.EqualTo("from C#"));
        });

        // Python's list proxy (holding its dict proxy) arrives here after the Python client exited.
        using var fromPython = (ListProxy)q.Get(timeout: TimeSpan.FromSeconds(20))!;
        using var inner = (DictProxy)fromPython[0]!;
        Assert.That(inner["py"], Is.EqualTo(1L));

        // The same refcount sequence from C# leaves the same counts as from Python.
        var sequence = r.GetProperty("sequence");
        var before = SettledObjectCount();
        using var d2 = _manager.Dict();
        using var l2 = _manager.List();
        l2.Append(d2);
        using var copy = (DictProxy)l2[0]!;
        var info = _manager.DebugInfo();
        Assert.Multiple(() =>
        {
            Assert.That(_manager.NumberOfObjects() - before, Is.EqualTo(sequence.GetProperty("objects").GetInt64()));
            Assert.That(info, Does.Contain($"{d2.Token.Id}:       refcount={sequence.GetProperty("dict_refs").GetInt64()}"));
            Assert.That(info, Does.Contain($"{l2.Token.Id}:       refcount={sequence.GetProperty("list_refs").GetInt64()}"));
        });
        copy.Dispose();
        l2.Dispose();
        d2.Dispose();
        Assert.That(_manager.NumberOfObjects() - before, Is.EqualTo(r.GetProperty("after_del").GetInt64()));
    }

    [Test]
    public void Dispose_ProxyAndManager_ReleaseEveryReference()
    {
        var before = SettledObjectCount();
        var client = NewClient();
        var d = client.Dict();
        var l = client.List(new object?[] { 1L });
        var q = client.Queue();
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before + 3));
        d.Dispose();
        d.Dispose();
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before + 2));
        client.Dispose();
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before), "disposing the client decrefs the live proxies");
        Assert.That(() => l.Count, Throws.InstanceOf<ObjectDisposedException>());
        GC.KeepAlive(q);
    }

    [Test]
    public void Finalizer_UndisposedProxy_DecrefsWhenCollected()
    {
        var before = SettledObjectCount();
        var holder = new object?[1];
        CreateInto(holder); // not a local of this method: unoptimized code keeps locals alive to the end
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before + 1));
        holder[0] = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(DecrefWorker.Drain(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before));

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        void CreateInto(object?[] into) => into[0] = _manager.Dict();
    }

    [Test]
    public void Shutdown_StopsTheManager_ProxiesStopDecref()
    {
        using var server = PythonManagerServer.Start(peer, AuthKey);
        using var manager = new SyncManager(server.Address, s_authKey, Options(peer.Library));
        manager.Connect();
        var d = manager.Dict();
        manager.Shutdown();
        Assert.That(manager.State, Is.EqualTo(ManagerState.Shutdown));
        d.Dispose(); // no decref after shutdown (managers.py _decref checks the state)
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!server.HasExited && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(20);
        }

        Assert.That(server.HasExited, Is.True, "the manager process exits after shutdown");
        Assert.That(() => manager.Dict(), Throws.InvalidOperationException.With.Message.Contains("shut down"));
    }

    [Test]
    public void Multiprocess_LambdaValue_SurvivesRoundTripThroughCSharp()
    {
        if (!peer.IsMultiprocess)
        {
            Assert.Ignore("only dill (multiprocess) pickles lambdas; CPython's manager cannot send one (see Error_UnpicklableResult)");
        }

        using var inspector = Inspector();
        var holder = (PyDict)inspector.Call("make_lambda")!;
        Assert.That(holder["f"], Is.InstanceOf<PyReduce>());
        using var d = _manager.Dict();
        d["holder"] = holder;                       // C# → Python: written back from the object model
        var again = (PyDict)d["holder"]!;           // Python → C#
        Assert.That(inspector.Call("apply", again, 41L), Is.EqualTo(PyTuple.Create(42L, true)), "f(41) and the same bytecode");
    }

    private static string ClientScript => Path.Combine(Path.GetDirectoryName(RepoPaths.ManagerServerScript)!, "manager_client.py");
}
