using Multiprocess.Connection;
using Multiprocess.Pickle;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Managers;

/// <summary>A minimal manager client in C#: what a stock Python proxy sends, built by hand.</summary>
internal static class ManagerTestClient
{
    public static MpConnection Connect(ConnectionAddress address, byte[] key) =>
        Client.Connect(address, key, TimeSpan.FromSeconds(10));

    public static PyTuple Request(MpConnection conn, object? first, string function, PyTuple? args = null, PyDict? kwargs = null)
    {
        conn.SendBytes(PickleSerializer.Dumps(PyTuple.Create(first, function, args ?? PyTuple.Empty, kwargs ?? new PyDict())));
        return (PyTuple)PickleSerializer.Loads(conn.RecvBytes(null, TimeSpan.FromSeconds(10)))!;
    }

    /// <summary>A one-shot request on its own connection (create, incref, decref, ...).</summary>
    public static PyTuple Dispatch(ConnectionAddress address, byte[] key, string function, params object?[] args)
    {
        using var conn = Connect(address, key);
        return Request(conn, null, function, new PyTuple(args));
    }

    /// <summary>A proxy connection (<c>accept_connection</c> done).</summary>
    public static MpConnection Proxy(ConnectionAddress address, byte[] key, string name = "MainProcess")
    {
        var conn = Connect(address, key);
        Assert.That(Request(conn, null, "accept_connection", PyTuple.Create(name)), Is.EqualTo(PyTuple.Create("#RETURN", null)));
        return conn;
    }

    public static string Create(ConnectionAddress address, byte[] key, string typeId, params object?[] args)
    {
        var reply = Dispatch(address, key, "create", [typeId, .. args]);
        Assert.That(reply[0], Is.EqualTo("#RETURN"), () => PyRepr.Repr(reply));
        return (string)((PyTuple)reply[1]!)[0]!;
    }
}
