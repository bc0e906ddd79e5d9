using System.Numerics;
using Multiprocess.Connection;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// The replies the server writes without its pickler (<see cref="ReturnPickle"/>: <c>('#RETURN', value)</c> for None,
/// a bool, an int64, a float, a short ASCII str or short bytes): byte for byte what the general pickler writes, and
/// what CPython 3.8–3.14 and multiprocess 0.70.19 write for the same tuple at protocol 4 (the protocol of every reply
/// the server sends).
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

    // The values written without the pickler, and how Python spells each (the peers pickle the same tuples).
    private static readonly (object? Value, string Python)[] Written =
    [
        (null, "None"), (true, "True"), (false, "False"),
        (0L, "0"), (1L, "1"), (255L, "255"), (256L, "256"), (12345L, "12345"), (65535L, "65535"), (65536L, "65536"),
        (-1L, "-1"), (-5L, "-5"), (-256L, "-256"), (int.MaxValue, "2**31 - 1"), ((long)int.MinValue, "-2**31"),
        (int.MaxValue + 1L, "2**31"), (int.MinValue - 1L, "-2**31 - 1"), (1L << 40, "1 << 40"), (-(1L << 40), "-(1 << 40)"),
        (127L << 48, "127 << 48"), (128L << 48, "128 << 48"), (long.MaxValue, "2**63 - 1"), (long.MinValue, "-2**63"),
        (0.0, "0.0"), (-0.0, "-0.0"), (1.5, "1.5"), (1e300, "1e300"), (double.PositiveInfinity, "float('inf')"),
        (double.NegativeInfinity, "float('-inf')"),
        ("", "''"), ("a", "'a'"), ("key", "'key'"), ("#RETURNS", "'#RETURNS'"), (new string('x', 255), "'x' * 255"),
        (new byte[0], "b''"), (new byte[] { 0, 1, 0xff }, "b'\\x00\\x01\\xff'"), (new byte[255], "bytes(255)"),
    ];

    public static IEnumerable<TestCaseData> Peers => StockRequestBytesTests.Peers;

    [Test]
    public void TryWrite_EachKind_WritesWhatThePicklerWrites()
    {
        var values = Written.Select(w => w.Value).Concat(SomeInts()).Concat(SomeText()).Append((int)-70000).Append(7);
        foreach (var value in values)
        {
            var output = new FrameWriter();
            Assert.That(ReturnPickle.TryWrite(output, value), Is.True, () => PyRepr.Repr(value));
            var pickled = PickleSerializer.Dumps(PyTuple.Create(ReplyKind.Return, value));
            Assert.That(Convert.ToHexString(output.Payload), Is.EqualTo(Convert.ToHexString(pickled)), () => PyRepr.Repr(value));
        }
    }

    [Test]
    public void TryWrite_OtherValues_LeftToThePickler()
    {
        object?[] declined =
        [
            new string('x', 256), "caf\u00e9", "\ud800", ReplyKind.Return, new string(['#', 'R', 'E', 'T', 'U', 'R', 'N']),
            new byte[256], new BigInteger(long.MaxValue) + 1, PyTuple.Create(1L), new PyDict(), new List<object?>(), 1.5f,
        ];
        foreach (var value in declined)
        {
            var output = new FrameWriter();
            Assert.That(ReturnPickle.TryWrite(output, value), Is.False, () => PyRepr.Repr(value));
            Assert.That(output.PayloadLength, Is.Zero, () => PyRepr.Repr(value));
        }
    }

    [TestCaseSource(nameof(Peers))]
    [CancelAfter(120_000)]
    public void GetItemReply_EachKind_IsWhatThePeerPicklesAtProtocol4(string version, string package)
    {
        var script = $$"""
            from {{package}}.reduction import ForkingPickler
            for v in [{{string.Join(", ", Written.Select(w => w.Python))}}]:
                print(bytes(ForkingPickler.dumps(('#RETURN', v), 4)).hex())
            """;
        var lines = StockRequestBytesTests.RunPython(version, script);
        Assert.That(lines, Has.Length.EqualTo(Written.Length), "one pickle per value");

        // Each value stored in a dict of the server, then read back: the reply's bytes are the server's own.
        using var server = new SyncManagerServer($"@reply-kinds-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var dict = Create(server.BoundAddress, Key, "dict");
        using var proxy = Proxy(server.BoundAddress, Key);
        for (var i = 0; i < Written.Length; i++)
        {
            Raw(proxy, dict, "__setitem__", PyTuple.Create((long)i, Written[i].Value));
            var reply = Raw(proxy, dict, "__getitem__", PyTuple.Create((long)i));
            Assert.That(Convert.ToHexString(reply), Is.EqualTo(lines[i].ToUpperInvariant()), Written[i].Python);
        }
    }

    private static IEnumerable<object?> SomeInts()
    {
        // Both sides of every size boundary of BININT1/BININT2/BININT and of each LONG1 length, and random ones.
        for (var bit = 0; bit < 64; bit++)
        {
            var p = 1L << bit;
            foreach (var v in new[] { p - 1, p, p + 1, -p - 1, -p, -p + 1 })
            {
                yield return v;
            }
        }

        var random = new Random(16);
        for (var i = 0; i < 2000; i++)
        {
            yield return random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
        }
    }

    private static IEnumerable<object?> SomeText()
    {
        var random = new Random(17);
        for (var i = 0; i < 300; i++)
        {
            var length = random.Next(256);
            yield return new string(Enumerable.Range(0, length).Select(_ => (char)random.Next(128)).ToArray());
            yield return Enumerable.Range(0, length).Select(_ => (byte)random.Next(256)).ToArray();
            yield return BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
        }
    }

    private static byte[] Raw(Multiprocess.Connection.Connection proxy, string ident, string method, PyTuple args)
    {
        proxy.SendBytes(PickleSerializer.Dumps(PyTuple.Create(ident, method, args, new PyDict())));
        return proxy.RecvBytes(null, Patience);
    }
}
