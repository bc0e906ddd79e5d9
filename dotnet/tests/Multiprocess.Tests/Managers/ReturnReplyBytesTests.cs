using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The replies the server sends as bytes pickled once (<c>('#RETURN', None)</c>, <c>True</c>, <c>False</c>): byte for
/// byte what CPython's server writes for them.
/// </summary>
public class ReturnReplyBytesTests
{
    /// <summary>What CPython 3.12's manager server writes for <c>('#RETURN', None)</c> (strace of its write(2)).</summary>
    internal static readonly byte[] CPythonReturnNone = Convert.FromHexString("8004950E000000000000008C072352455455524E944E86942E");

    private static readonly byte[] Key = "reply key"u8.ToArray();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // The same frame with NEWTRUE / NEWFALSE in place of NONE: pickle.dumps(('#RETURN', True), 4) in CPython.
    private static readonly byte[] CPythonReturnTrue = Convert.FromHexString("8004950E000000000000008C072352455455524E948886942E");
    private static readonly byte[] CPythonReturnFalse = Convert.FromHexString("8004950E000000000000008C072352455455524E948986942E");

    [Test]
    public void NoneTrueAndFalse_AreTheBytesCPythonsServerWrites()
    {
        using var server = new SyncManagerServer($"@reply-bytes-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var list = Create(server.BoundAddress, Key, "list");
        var dict = Create(server.BoundAddress, Key, "dict");
        var lockId = Create(server.BoundAddress, Key, "Lock");
        using var proxy = Proxy(server.BoundAddress, Key);
        using var other = Proxy(server.BoundAddress, Key, "other");
        Assert.That(Raw(proxy, list, "append", PyTuple.Create(1L)), Is.EqualTo(CPythonReturnNone), "append");
        Assert.That(Raw(proxy, dict, "__setitem__", PyTuple.Create(1L, 2L)), Is.EqualTo(CPythonReturnNone), "__setitem__");
        Assert.That(Raw(proxy, lockId, "acquire", PyTuple.Empty), Is.EqualTo(CPythonReturnTrue), "acquire");
        Assert.That(Raw(other, lockId, "acquire", PyTuple.Create(false)), Is.EqualTo(CPythonReturnFalse), "acquire(False) of a held lock");
        Assert.That(Raw(proxy, lockId, "release", PyTuple.Empty), Is.EqualTo(CPythonReturnNone), "release");
        Assert.That(Request(proxy, list, "__len__"), Is.EqualTo(PyTuple.Create("#RETURN", 1L)), "a reply that is pickled still is");
    }

    private static byte[] Raw(Multiprocess.Connection.Connection proxy, string ident, string method, PyTuple args)
    {
        proxy.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, method, args, new PyDict())));
        return proxy.RecvBytes(null, Patience);
    }
}
