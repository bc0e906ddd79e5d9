using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// Requests that look almost like a stock proxy call (the shape the server decodes without allocating,
/// <see cref="RequestUnpickler"/>) but are not: each is answered as CPython's <c>serve_client</c> answers a request
/// it cannot read (a <c>#TRACEBACK</c>), the error naming the opcode and offset where the pickle went wrong, and
/// the connection goes on serving.
/// </summary>
public class HostileRequestTests
{
    private static readonly byte[] Key = "hostile request key"u8.ToArray();

    // (what is wrong, how to spoil a stock __setitem__ request, the text the traceback must contain)
    public static IEnumerable<TestCaseData> Spoilt =>
    [
        new TestCaseData("method name not UTF-8", (Func<byte[], byte[]>)(b => Patch(b, b.AsSpan().IndexOf("__setitem__"u8) + 5, 0xff)), "at offset").SetName("MethodNameInvalidUtf8"),
        new TestCaseData("truncated before STOP", (Func<byte[], byte[]>)(b => b[..^1]), "offset").SetName("TruncatedBeforeStop"),
        new TestCaseData("frame longer than the input", (Func<byte[], byte[]>)(b => Patch(b, 3, 0xff)), "offset").SetName("FrameBeyondInput"),
        new TestCaseData("TUPLE3 over two items", (Func<byte[], byte[]>)(b => Patch(b, Array.IndexOf(b, (byte)0x86), 0x87)), "not enough values to unpack (expected 4, got 3)").SetName("TupleCountOverMark"),
    ];

    [TestCaseSource(nameof(Spoilt))]
    public void AlmostStockRequest_AnsweredWithTracebackNamingTheOffset_ConnectionServesOn(string what, Func<byte[], byte[]> spoil, string expected)
    {
        using var server = new SyncManagerServer(Path.Combine(Path.GetTempPath(), $"mp-hostile-req-{Guid.NewGuid():N}.sock"), Key);
        server.Start();
        var ident = Create(server.BoundAddress, Key, "dict");
        using var proxy = Proxy(server.BoundAddress, Key);
        var stock = PickleSerializer.Dumps(PyTuple.Create(ident, "__setitem__", PyTuple.Create(1L, 2L), new PyDict()));
        Assert.That(new RequestUnpickler().TryLoad(stock, out _, out _, out _), Is.True, "the unspoilt request is the stock shape");

        var spoilt = spoil(stock);
        Assert.That(new RequestUnpickler().TryLoad(spoilt, out _, out _, out _), Is.False, what);
        var reply = Send(proxy, spoilt);
        Assert.That(reply[0], Is.EqualTo("#TRACEBACK"), what);
        Assert.That((string)reply[1]!, Does.Contain(expected), what);

        Assert.That(Send(proxy, stock), Is.EqualTo(PyTuple.Create("#RETURN", null)), "served on after it");
        Assert.That(Request(proxy, ident, "__getitem__", PyTuple.Create(1L)), Is.EqualTo(PyTuple.Create("#RETURN", 2L)));
    }

    private static PyTuple Send(MpConnection proxy, byte[] request)
    {
        proxy.SendBytes(request);
        return (PyTuple)PickleSerializer.Loads(proxy.RecvBytes(null, TimeSpan.FromSeconds(10)))!;
    }

    private static byte[] Patch(byte[] b, int at, byte value)
    {
        var copy = (byte[])b.Clone();
        copy[at] = value;
        return copy;
    }
}
