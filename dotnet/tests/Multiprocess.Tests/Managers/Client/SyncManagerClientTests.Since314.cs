using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// What CPython 3.14's managers.py added (type id <c>set</c>, <c>locked()</c> on Lock/RLock/Condition): working against
/// 3.14 and multiprocess 0.70.19, a NotSupportedException that names what the manager offers against older ones.
/// </summary>
public sealed partial class SyncManagerClientTests
{
    /// <summary>Whether the manager's managers.py is 3.14's (CPython 3.14, or multiprocess 0.70.19 on it).</summary>
    private bool ManagerIs314 => peer.Version == "3.14";

    [Test]
    public void Set_EveryMethod_BehavesAsPythonSet_OrNamesTheMissingTypeId() => AssertNoLeak(() =>
    {
        if (!ManagerIs314)
        {
            var e = Assert.Throws<NotSupportedException>(() => _manager.Set(["a"]));
            Assert.That(e!.Message, Does.Contain("no type id 'set'").And.Contain("KeyError: 'set'").And.Contain(_server.Address.ToString()));
            Assert.That(e.InnerException, Is.InstanceOf<RemoteException>());
            return;
        }

        using var s = _manager.Set(["a", "b", 1L]);
        Assert.That(s.Exposed, Does.Contain("symmetric_difference_update").And.Contain("__ior__"));
        s.Add(1.0);   // Python: 1 == 1.0, one item
        s.Add("c");
        Assert.Multiple(() =>
        {
            Assert.That(s.Count, Is.EqualTo(4));
            Assert.That(s.Contains("a"), Is.True);
            Assert.That(s.Contains(1.0), Is.True);
            Assert.That(s.Contains("z"), Is.False);
            Assert.That(s.ToSet().SetEquals(new object?[] { "a", "b", "c", 1L }), Is.True);
            Assert.That(s.Union(["z"], [9L]).SetEquals(new object?[] { "a", "b", "c", 1L, "z", 9L }), Is.True);
            Assert.That(s.Intersection(["a", "z"]).SetEquals(new object?[] { "a" }), Is.True);
            Assert.That(s.Difference(["a", "b"]).SetEquals(new object?[] { "c", 1L }), Is.True);
            Assert.That(s.SymmetricDifference(["a", "z"]).SetEquals(new object?[] { "b", "c", 1L, "z" }), Is.True);
            Assert.That(s.IsSubset(new object?[] { "a", "b", "c", 1L, "q" }), Is.True);
            Assert.That(s.IsSuperset(new PySet { "a", "c" }), Is.True);
            Assert.That(s.IsDisjoint(["x", "y"]), Is.True);
            Assert.That(s.Copy().Count, Is.EqualTo(4));
        });

        Assert.That(s.Remove("b"), Is.True);
        Assert.That(s.Remove("b"), Is.False, "KeyError");
        s.Discard("zzz");
        s.Update(["d"], ["e"]);
        s.DifferenceUpdate(["d"]);
        s.IntersectionUpdate(["a", "c", "e", 1L]);
        s.SymmetricDifferenceUpdate(["e", "f"]);
        Assert.That(s.OrderBy(x => x?.ToString(), StringComparer.Ordinal), Is.EqualTo(new object?[] { 1L, "a", "c", "f" }));
        var popped = s.Pop();
        Assert.That(s.Contains(popped), Is.False);
        s.Clear();
        Assert.That(s.Count, Is.Zero);
        var empty = Assert.Throws<KeyNotFoundException>(() => s.Pop());
        Assert.That(PythonError(empty!)!.TypeName, Is.EqualTo("KeyError"));
        Assert.That(() => s.Add(new List<object?>()), Throws.InstanceOf<ArgumentException>(), "TypeError: unhashable type: 'list'");

        // The proxy travels: inside a list proxy and back, and to Python code in the manager as its SetProxy.
        s.Add("x");
        using var l = _manager.List();
        l.Append(s);
        using var back = (SetProxy)l[0]!;
        Assert.That(back.Contains("x"), Is.True);
        var inspector = Inspector();
        Assert.That(inspector.Call("describe", s), Is.EqualTo(PyTuple.Create("SetProxy", true)));
        Assert.That(inspector.Call("call", s, "__contains__", "x"), Is.EqualTo(true));
        inspector.Dispose();
    });

    [TestCase("Lock")]
    [TestCase("RLock")]
    [TestCase("Condition")]
    public void Locked_FollowsTheHolder_OrNamesTheExposedList(string typeId) => AssertNoLeak(() =>
    {
        using var l = typeId switch
        {
            "Lock" => _manager.Lock(),
            "RLock" => _manager.RLock(),
            _ => _manager.Condition(),
        };
        if (!ManagerIs314)
        {
            var e = Assert.Throws<NotSupportedException>(() => l.Locked());
            Assert.That(e!.Message, Does.Contain("without 'locked'").And.Contain("'acquire'").And.Contain(typeId));
            Assert.That(() => l.LockedAsync().AsTask().GetAwaiter().GetResult(), Throws.InstanceOf<NotSupportedException>());
            return;
        }

        Assert.That(l.Exposed, Does.Contain("locked"));
        Assert.That(l.Locked(), Is.False);
        using (l.Enter())
        {
            Assert.That(l.Locked(), Is.True);
            Assert.That(Task.Run(() => l.Locked()).Result, Is.True, "seen from another connection");
        }

        Assert.That(l.LockedAsync().AsTask().Result, Is.False);
    });

    [Test]
    public void Locked_OnASemaphore_IsPythonsAttributeError()
    {
        using var s = _manager.Semaphore();
        if (!ManagerIs314)
        {
            Assert.That(() => s.Locked(), Throws.InstanceOf<NotSupportedException>());
            return;
        }

        // 3.14's AcquirerProxy exposes locked() for every acquirer, but threading.Semaphore has no such method.
        var e = Assert.Catch(() => s.Locked());
        Assert.That(e!.ToString(), Does.Contain("AttributeError").And.Contain("locked"));
    }
}
