namespace Multiprocess.Pickle.Tests;

/// <summary>
/// <see cref="RequestUnpickler"/> against the general unpickler: on stock requests it must accept and agree, and on
/// every mutation of them (each byte replaced by every value, each byte removed, bytes inserted, every truncation, and
/// random multi-byte mutations) it may decline, but whatever it accepts <see cref="PickleSerializer.Loads(ReadOnlySpan{byte}, UnpickleOptions?)"/>
/// must accept too and decode to the same request: same ident and method, same args with the same types and values,
/// empty kwds. The seeds are the bytes <c>PickleSerializer.Dumps</c> writes for the requests, which
/// <c>Multiprocess.Tests.Managers.StockRequestBytesTests</c> checks are the bytes CPython 3.8–3.14 and multiprocess send.
/// </summary>
public class RequestUnpicklerTests
{
    private const string Ident = "7f0a1b2c3d40";

    private static readonly PyTuple[] Requests =
    [
        Request("__setitem__", 1L, 12345L),
        Request("__getitem__", 1L),
        Request("append", 70000L),
        Request("append", -3L),
        Request("append", 1L << 40),
        Request("acquire", true),
        Request("acquire", false, 2.5),
        Request("release"),
        Request("put", 5L, true, null),
        Request("get"),
        Request("notify", 1L),
        Request("wait", [null]),
        Request("__setitem__", "key", 1.5),
        Request("get", "k", "d\u00e9faut"),
    ];

    public static IEnumerable<TestCaseData> Seeds =>
        from protocol in new[] { 4, 5 }
        from request in Requests
        select new TestCaseData(protocol, request).SetArgDisplayNames($"protocol {protocol}", PyRepr.Repr(request));

    [TestCaseSource(nameof(Seeds))]
    public void TryLoad_StockRequest_AgreesWithLoads(int protocol, PyTuple request)
    {
        var bytes = PickleSerializer.Dumps(request, new PickleOptions { Protocol = protocol });
        var decoder = new RequestUnpickler();
        var accepted = decoder.TryLoad(bytes, out var ident, out var method, out var args);
        var nonAscii = request[2] is PyTuple t && t.Any(a => a is string s && s.Any(c => c > 127));
        Assert.That(accepted, Is.EqualTo(!nonAscii), "every stock request with ASCII strings is recognised");
        if (accepted)
        {
            Assert.That(Disagreement(bytes, ident, method, args), Is.Null);
        }
    }

    [Test]
    public void TryLoad_ReusesOneArgsTuplePerArity_AndClearDropsTheItems()
    {
        var decoder = new RequestUnpickler();
        Assert.That(decoder.TryLoad(Dump(Request("__setitem__", 1L, 2L)), out _, out _, out var first), Is.True);
        var hash = first.GetHashCode();
        Assert.That(decoder.TryLoad(Dump(Request("__setitem__", 3L, 4L)), out _, out _, out var second), Is.True);
        Assert.That(second, Is.SameAs(first));
        Assert.That(second, Is.EqualTo(PyTuple.Create(3L, 4L)));
        Assert.That(second.GetHashCode(), Is.Not.EqualTo(hash).And.EqualTo(PyTuple.Create(3L, 4L).GetHashCode()), "no stale cached hash");
        decoder.Clear();
        Assert.That(second.AsSpan().ToArray(), Is.EqualTo(new object?[] { null, null }));
    }

    [Test]
    public void TryLoad_IdentHashingToTheMethodNamesSlot_AllocatesNothing()
    {
        // An ident whose hashed string-cache slot is that of "acquire": with one shared cache the two evicted each
        // other on every call (88 B per acquire/release pair, seen on the Lock of one PerCallAllocationTests run).
        var slot = Unpickler.StringSlot("acquire"u8);
        var ident = Enumerable.Range(0, 1 << 20).Select(i => $"7f{i:x10}").First(s => Unpickler.StringSlot(System.Text.Encoding.ASCII.GetBytes(s)) == slot);
        var acquire = Dump(PyTuple.Create(ident, "acquire", PyTuple.Create(true), new PyDict()));
        var release = Dump(PyTuple.Create(ident, "release", PyTuple.Empty, new PyDict()));
        var decoder = new RequestUnpickler();
        for (var i = 0; i < 100; i++)
        {
            Assert.That(decoder.TryLoad(acquire, out _, out _, out _) && decoder.TryLoad(release, out _, out _, out _), Is.True);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            decoder.TryLoad(acquire, out _, out _, out _);
            decoder.TryLoad(release, out _, out _, out _);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    [CancelAfter(120_000)]
    public void TryLoad_MutatedRequests_NeverAcceptsWhatLoadsRejectsOrReadsDifferently(CancellationToken token)
    {
        var decoder = new RequestUnpickler();
        var failures = new List<string>();
        int tried = 0, accepted = 0, rejectedByBoth = 0;
        void Check(byte[] input)
        {
            tried++;
            if (!decoder.TryLoad(input, out var ident, out var method, out var args))
            {
                rejectedByBoth += Rejects(input) ? 1 : 0;
                return;
            }

            accepted++;
            if (Disagreement(input, ident, method, args) is { } why && failures.Count < 10)
            {
                failures.Add($"{Convert.ToHexString(input)}: {why}");
            }
        }

        var random = new Random(20261207);
        foreach (var request in Requests)
        {
            foreach (var protocol in new[] { 4, 5 })
            {
                var seed = PickleSerializer.Dumps(request, new PickleOptions { Protocol = protocol });
                for (var i = 0; i < seed.Length && !token.IsCancellationRequested; i++)
                {
                    for (var b = 0; b < 256; b++)
                    {
                        var replaced = (byte[])seed.Clone();
                        replaced[i] = (byte)b;
                        Check(replaced);
                    }

                    Check([.. seed[..i], .. seed[(i + 1)..]]);
                    Check(seed[..i]);
                    foreach (var b in new byte[] { 0x94, 0x4E, 0x29, 0x4B, 0x85, 0x2E, 0x28 })
                    {
                        Check([.. seed[..i], b, .. seed[i..]]);
                    }
                }

                for (var n = 0; n < 3000 && !token.IsCancellationRequested; n++)
                {
                    var mutated = (byte[])seed.Clone();
                    for (var k = random.Next(2, 5); k > 0; k--)
                    {
                        mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                    }

                    Check(mutated);
                }
            }
        }

        TestContext.Out.WriteLine($"{tried} inputs: {accepted} accepted by the fast path (each agreeing with Loads), {rejectedByBoth} rejected by Loads too");
        Assert.That(failures, Is.Empty, string.Join("\n", failures));
        Assert.That(accepted, Is.GreaterThan(10_000), "the mutations reached the accepting path (a length byte or an int changed)");
    }

    [Test]
    public void TryLoad_NotTheStockShape_Declines()
    {
        var decoder = new RequestUnpickler();
        var cases = new[]
        {
            Dump(PyTuple.Create(Ident, "f", PyTuple.Create(1L, 2L, 3L, 4L), new PyDict())),            // 4 args: MARK … TUPLE
            Dump(PyTuple.Create(Ident, "f", PyTuple.Create(1L), new PyDict { ["block"] = true })),      // kwds
            Dump(PyTuple.Create(Ident, "f", PyTuple.Create(PyTuple.Create(1L)), new PyDict())),         // nested tuple
            Dump(PyTuple.Create(Ident, "f", PyTuple.Create(new byte[] { 1 }), new PyDict())),           // bytes
            Dump(PyTuple.Create(null, "create", PyTuple.Create("dict"), new PyDict())),                 // ident None
            Dump(PyTuple.Create(Ident, "f", PyTuple.Create(1L), new PyDict())).Concat(new byte[] { 0 }).ToArray(), // after STOP
            PickleSerializer.Dumps(PyTuple.Create(Ident, "f", PyTuple.Create(1L), new PyDict()), new PickleOptions { Protocol = 2 }),
        };
        Assert.That(cases.Select(c => decoder.TryLoad(c, out _, out _, out _)), Is.All.False);
        Assert.That(cases.Select(c => Rejects(c)), Is.All.False, "each is a valid pickle the general path serves");
    }

    private static PyTuple Request(string method, params object?[] args) => PyTuple.Create(Ident, method, new PyTuple(args), new PyDict());

    private static byte[] Dump(PyTuple request) => PickleSerializer.Dumps(request);

    private static bool Rejects(byte[] input)
    {
        try
        {
            PickleSerializer.Loads(input);
            return false;
        }
        catch (Exception e) when (e is UnpicklingException or EndOfStreamException)
        {
            return true;
        }
    }

    /// <summary>Null when Loads reads the same request; otherwise what differs.</summary>
    private static string? Disagreement(byte[] input, string ident, string method, PyTuple args)
    {
        object? general;
        try
        {
            general = PickleSerializer.Loads(input);
        }
        catch (Exception e) when (e is UnpicklingException or EndOfStreamException)
        {
            return $"accepted, but Loads rejects it: {e.Message}";
        }

        if (general is not PyTuple { Count: 4 } r || r[0] is not string gi || r[1] is not string gm || r[2] is not PyTuple ga || r[3] is not PyDict { Count: 0 })
        {
            return $"accepted, but Loads reads {PyRepr.Repr(general)}";
        }

        if (gi != ident || gm != method || ga.Count != args.Count)
        {
            return $"({ident}, {method}, {PyRepr.Repr(args)}) against Loads' {PyRepr.Repr(general)}";
        }

        for (var i = 0; i < ga.Count; i++)
        {
            var (a, b) = (args[i], ga[i]);
            var same = a is double x && b is double y
                ? BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y)
                : a?.GetType() == b?.GetType() && Equals(a, b);
            if (!same)
            {
                return $"arg {i}: {a} ({a?.GetType().Name}) against Loads' {b} ({b?.GetType().Name})";
            }
        }

        return null;
    }
}
