using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// A proxy connection's remembered call target (<see cref="LastCalled"/>): it spares the table and exposed lookups,
/// and must never answer what the table would not: an object dropped meanwhile is a KeyError, a method that is not
/// exposed is still refused.
/// </summary>
public class LastCalledTests
{
    private static readonly byte[] Key = "last key"u8.ToArray();

    [Test]
    [CancelAfter(30_000)]
    public void Call_ObjectDroppedByAnotherConnection_IsKeyErrorAsBefore()
    {
        using var server = new SyncManagerServer($"@last-called-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var list = Create(server.BoundAddress, Key, "list");   // refcount 1
        using var proxy = Proxy(server.BoundAddress, Key);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(Request(proxy, list, "append", PyTuple.Create((long)i))[0], Is.EqualTo("#RETURN"), "remembered from the first call on");
        }

        Assert.That(Dispatch(server.BoundAddress, Key, "decref", list)[0], Is.EqualTo("#RETURN"), "refcount 0: dropped");
        var after = Request(proxy, list, "append", PyTuple.Create(3L));
        Assert.That(after[0], Is.EqualTo("#TRACEBACK"), () => PyRepr.Repr(after));
        Assert.That((string)after[1]!, Does.EndWith($"KeyError: '{list}'\n"));
    }

    [Test]
    [CancelAfter(30_000)]
    public void Call_MethodNotExposed_AfterExposedOnes_StillRefused()
    {
        using var server = new SyncManagerServer($"@last-called-{Environment.ProcessId}-{Guid.NewGuid():N}", Key);
        server.Start();
        var dict = Create(server.BoundAddress, Key, "dict");
        using var proxy = Proxy(server.BoundAddress, Key);
        Assert.That(Request(proxy, dict, "__setitem__", PyTuple.Create(1L, 2L))[0], Is.EqualTo("#RETURN"));
        Assert.That(Request(proxy, dict, "__getitem__", PyTuple.Create(1L)), Is.EqualTo(PyTuple.Create("#RETURN", 2L)));
        var refused = Request(proxy, dict, "_private", PyTuple.Empty);
        Assert.That(refused[0], Is.EqualTo("#TRACEBACK"), () => PyRepr.Repr(refused));
        Assert.That((string)refused[1]!, Does.Contain("'_private' of <class 'dict'> object is not in exposed="));
        Assert.That(Request(proxy, dict, "__getitem__", PyTuple.Create(1L)), Is.EqualTo(PyTuple.Create("#RETURN", 2L)), "and the remembered ones still answer");
    }

    [Test]
    public void TryGet_OnlyTheSameStringsAtTheSameVersion()
    {
        var last = new LastCalled();
        var entry = new SharedEntry("a1", "list", new object(), new Multiprocess.Managers.Referents.SharedList([]), ["append"], null);
        var (ident, method) = ("a1", "append");
        Assert.That(last.TryGet(ident, method, 7, out _, out _), Is.False, "nothing remembered yet");
        last.Remember(ident, entry, 7, method, null);
        Assert.That(last.TryGet(ident, method, 7, out var found, out var typeId), Is.True);
        Assert.That((found, typeId), Is.EqualTo((entry, (string?)null)));
        Assert.That(last.TryGet(ident, method, 8, out _, out _), Is.False, "the table changed since");
        Assert.That(last.TryGet(new string(ident.AsSpan()), method, 7, out _, out _), Is.False, "another ident string (a general-path request)");
        Assert.That(last.TryGet(ident, new string(method.AsSpan()), 7, out _, out _), Is.False, "another method string");
    }
}
