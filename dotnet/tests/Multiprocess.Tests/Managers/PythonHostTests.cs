using System.Buffers.Binary;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The Python host behind the manager server (docs/python-host.md): its framing, the contract run in a real CPython
/// host (Pool, Barrier actions), start-up errors, and supervision (SIGKILL mid-call, generations, restart).
/// </summary>
public class PythonHostTests
{
    private ServerHarness _h = null!;
    private PythonHost? _host;

    [SetUp]
    public void SetUp() => _h = new ServerHarness();

    [TearDown]
    public void TearDown()
    {
        _host?.Dispose();
        _h.Dispose();
    }

    [Test]
    public void Frames_RoundTrip_EofInsideAFrameIsEnd_OversizeIsRefused()
    {
        var stream = new MemoryStream();
        HostFrames.Write(stream, 7, [1, 2, 3]);
        HostFrames.Write(stream, long.MaxValue, [9], status: 1);
        stream.Position = 0;
        var first = HostFrames.Read(stream);
        var second = HostFrames.Read(stream);
        Assert.Multiple(() =>
        {
            Assert.That(first!.Value.Id, Is.EqualTo(7));
            Assert.That(first.Value.Payload, Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(second!.Value.Id, Is.EqualTo(long.MaxValue));
            Assert.That(second.Value.Payload, Is.EqualTo(new byte[] { 1, 9 }));
            Assert.That(HostFrames.Read(stream), Is.Null);
        });

        var truncated = new MemoryStream(stream.ToArray()[..^1]);
        HostFrames.Read(truncated);
        Assert.That(HostFrames.Read(truncated), Is.Null, "a frame cut short is the end of the stream");

        var huge = new byte[HostFrames.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(huge, uint.MaxValue);
        Assert.That(() => HostFrames.Read(new MemoryStream(huge)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("4294967295 bytes"));
    }

    [Test]
    public void Registration_ParsesTypeIdCallableAndProxyType()
    {
        Assert.That(HostRegistration.Parse("Foo=pkg.mod:Foo"), Is.EqualTo(new HostRegistration("Foo", "pkg.mod:Foo", null)));
        Assert.That(HostRegistration.Parse("gen=m:squares,m:IteratorProxy"), Is.EqualTo(new HostRegistration("gen", "m:squares", "m:IteratorProxy")));
        Assert.That(() => HostRegistration.Parse("Foo"), Throws.TypeOf<FormatException>().With.Message.Contains("TYPEID=module:callable"));
        Assert.That(() => HostRegistration.Parse("Foo=nocolon"), Throws.TypeOf<FormatException>().With.Message.Contains("'nocolon'"));
    }

    [Test]
    public void Pool_RunsInTheHost_WithItsAsyncResultsAndIterators()
    {
        UseHost();
        var client = _h.NewClient();
        var pool = _h.Create("Pool", 1L);
        var abs = new PyGlobal("builtins", "abs");
        Assert.That(_h.Return(client, pool, "map", abs, new List<object?> { -1L, -2L }), Is.EqualTo(new List<object?> { 1L, 2L }));
        var asyncReply = _h.Call(client, pool, "apply_async", abs, PyTuple.Create(-5L));
        Assert.That(asyncReply[0], Is.EqualTo("#PROXY"), PyRepr.Repr(asyncReply));
        var asyncIdent = AsIdent(asyncReply);
        Assert.That(_h.Return(client, asyncIdent, "get", 10.0), Is.EqualTo(5L));
        var iterator = AsIdent(_h.Call(client, pool, "imap", abs, new List<object?> { -3L }));
        Assert.That(_h.Return(client, iterator, "__next__"), Is.EqualTo(3L));
        Assert.That(_h.Error(client, iterator, "__next__").Type.Name, Is.EqualTo("StopIteration"));
        Assert.That(_h.Error(client, pool, "apply", new PyGlobal("math", "sqrt"), PyTuple.Create(-1L)).Message, Does.Contain("math domain error"));
    }

    [Test]
    public void BarrierAction_IsCalledInTheHost_AndItsFailureBreaksTheBarrier()
    {
        UseHost();
        var client = _h.NewClient();
        var barrier = _h.Create("Barrier", 1L, new PyGlobal("gc", "collect"));
        Assert.That(_h.Return(client, barrier, "wait"), Is.EqualTo(0L));
        var failing = _h.Create("Barrier", 1L, new PyGlobal("builtins", "input"));   // stdin is /dev/null: EOFError
        Assert.That(_h.Error(client, failing, "wait").Type.Name, Is.EqualTo("EOFError"));
        Assert.That(_h.Return(client, failing, "__getattribute__", "broken"), Is.EqualTo(true));
    }

    [Test]
    public void HostKilledMidCall_FailsItsCallsClearly_NewObjectsGoToANewHost()
    {
        UseHost();
        var died = new List<string>();
        _host!.Died += (_, reason) => died.Add(reason);
        var client = _h.NewClient();
        var pool = _h.Create("Pool", 1L);
        var firstPid = _host.Pid;
        PyTuple? inFlight = null;
        var caller = new Thread(() => inFlight = _h.Call(client, pool, "apply", new PyGlobal("time", "sleep"), PyTuple.Create(30L)));
        caller.Start();
        Assert.That(SpinWait.SpinUntil(() => _host.CallsInFlight > 0, TimeSpan.FromSeconds(20)), Is.True, "the apply call sent to the host");
        Assert.That(LibcKill(firstPid, 9), Is.Zero);
        Assert.That(caller.Join(TimeSpan.FromSeconds(20)), Is.True, "the call in flight must fail, not hang");
        Assert.Multiple(() =>
        {
            Assert.That(inFlight![0], Is.EqualTo("#TRACEBACK"));
            Assert.That((string)inFlight[1]!, Does.Contain($"pid {firstPid}").And.Contain("killed by signal 9 (SIGKILL)").And.Contain("objects it held are lost"));
            Assert.That(died, Has.Count.EqualTo(1));
        });

        var later = _h.Call(client, pool, "map", new PyGlobal("builtins", "abs"), new List<object?> { -1L });
        Assert.That((string)later[1]!, Does.Contain("killed by signal 9"), "the old Pool is gone for every later call too");
        var dict = _h.Create("dict");
        _h.Return(client, dict, "__setitem__", "native", 1L);
        var fresh = _h.Create("Pool", 1L);
        Assert.That(_h.Return(client, fresh, "apply", new PyGlobal("builtins", "abs"), PyTuple.Create(-9L)), Is.EqualTo(9L));
        Assert.That(_host.Pid, Is.Not.EqualTo(firstPid).And.Not.Zero);
        Assert.That(_host.Generation, Is.EqualTo(2));
        Assert.That(_h.Return(client, dict, "__getitem__", "native"), Is.EqualTo(1L), "native referents are untouched");
    }

    [Test]
    public void StartUpFailure_NamesTheImportError()
    {
        using var host = new PythonHost(
            new PythonHostOptions { Executable = PythonInterpreters.Get("3.12"), Registrations = [HostRegistration.Parse("X=no_such_module_here:thing")] },
            [1, 2, 3],
            null);
        Assert.That(() => host.Start(), Throws.TypeOf<PythonHostLostException>().With.Message.Contains("No module named 'no_such_module_here'"));
        using var missing = new PythonHost(new PythonHostOptions { Executable = "/nonexistent/python3" }, [1], null);
        Assert.That(() => missing.Start(), Throws.TypeOf<PythonHostLostException>().With.Message.Contains("/nonexistent/python3"));
    }

    private static string AsIdent(PyTuple proxyReply)
    {
        var token = (PyReduce)((PyTuple)proxyReply[1]!)[1]!;
        return (string)((PyTuple)token.State!)[2]!;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int LibcKill(int pid, int signal);

    private void UseHost()
    {
        _host = new PythonHost(new PythonHostOptions { Executable = PythonInterpreters.Get("3.12") }, [1, 2, 3], null);
        var python = new PythonTypeIds(_host, 0);
        _h.Server.Python = python;
        _h.Server.RegisterPython("Pool", creatable: true, SyncManagerTypes.PoolExposed, PythonTypeIds.PoolMethodToTypeid);
    }
}
