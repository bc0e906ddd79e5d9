using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Referents;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The manager server's object level without sockets: create objects as a client's one-shot requests would, and
/// call their methods as a proxy connection would; replies are the tuples the server would pickle.
/// </summary>
internal sealed class ServerHarness : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public ServerHarness() => Server = new Server(_stop.Token);

    public Server Server { get; }

    public SharedCallContext NewClient(string name = "MainProcess") => Server.NewContext(name);

    /// <summary>
    /// Waits until every client's call is blocked in the server (the event a test needs before it wakes them, in
    /// place of a sleep that a loaded machine can outrun); fails after 30 s, a hang guard only.
    /// </summary>
    public static void WaitUntilBlocked(params SharedCallContext[] clients)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (!clients.All(c => c.IsBlocked))
        {
            Assert.That(Environment.TickCount64, Is.LessThan(deadline), "the calls never blocked");
            Thread.Sleep(1);
        }
    }

    /// <summary>One-shot request: <c>(None, funcname, args, kwds)</c>.</summary>
    public PyTuple Public(string function, params object?[] args) =>
        Server.HandleRequest(PyTuple.Create(null, function, new PyTuple(args), new PyDict()), out _, out _);

    /// <summary>Creates an object and returns its ident (asserting a <c>#RETURN</c>).</summary>
    public string Create(string typeId, params object?[] args) => Create(typeId, new PyDict(), args);

    public string Create(string typeId, PyDict kwargs, params object?[] args)
    {
        var reply = Server.HandleRequest(PyTuple.Create(null, "create", new PyTuple([typeId, .. args]), kwargs), out _, out _);
        Assert.That(reply[0], Is.EqualTo("#RETURN"), () => $"create {typeId} failed: {reply[1]}");
        return (string)((PyTuple)reply[1]!)[0]!;
    }

    /// <summary>A proxy method call; returns the whole reply.</summary>
    public PyTuple Call(SharedCallContext client, string ident, string method, params object?[] args) =>
        Server.ServeRequest(PyTuple.Create(ident, method, new PyTuple(args), new PyDict()), client);

    public PyTuple Call(SharedCallContext client, string ident, string method, PyDict kwargs, params object?[] args) =>
        Server.ServeRequest(PyTuple.Create(ident, method, new PyTuple(args), kwargs), client);

    /// <summary>A call that must return a value (<c>#RETURN</c>).</summary>
    public object? Return(SharedCallContext client, string ident, string method, params object?[] args)
    {
        var reply = Call(client, ident, method, args);
        Assert.That(reply[0], Is.EqualTo("#RETURN"), () => $"{method}{PyRepr.Repr(new PyTuple(args))}: {PyRepr.Repr(reply)}");
        return reply[1];
    }

    /// <summary>A call with keyword arguments that must return a value.</summary>
    public object? ReturnKw(SharedCallContext client, string ident, string method, PyDict kwargs, params object?[] args)
    {
        var reply = Call(client, ident, method, kwargs, args);
        Assert.That(reply[0], Is.EqualTo("#RETURN"), () => $"{method}: {PyRepr.Repr(reply)}");
        return reply[1];
    }

    /// <summary>A call with keyword arguments that must raise a Python exception; returns it.</summary>
    public PyException ErrorKw(SharedCallContext client, string ident, string method, PyDict kwargs, params object?[] args)
    {
        var reply = Call(client, ident, method, kwargs, args);
        Assert.That(reply[0], Is.EqualTo("#ERROR"), () => $"{method}: expected #ERROR, got {PyRepr.Repr(reply)}");
        return (PyException)reply[1]!;
    }

    /// <summary>A call that must raise a Python exception (<c>#ERROR</c>); returns it.</summary>
    public PyException Error(SharedCallContext client, string ident, string method, params object?[] args)
    {
        var reply = Call(client, ident, method, args);
        Assert.That(reply[0], Is.EqualTo("#ERROR"), () => $"{method}: expected #ERROR, got {PyRepr.Repr(reply)}");
        return (PyException)reply[1]!;
    }

    /// <summary>A pickled proxy of one of this server's objects, as a client passes it in a request.</summary>
    public static PyReduce ProxyOf(string typeId, string ident) =>
        new(new PyGlobal("multiprocessing.managers", "RebuildProxy"), PyTuple.Create(
            new PyGlobal("multiprocessing.managers", "AutoProxy"),
            PyReduce.NewObj(new PyGlobal("multiprocessing.managers", "Token"), state: PyTuple.Create(typeId, null, ident)),
            "pickle",
            new PyDict()));

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
