using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// What CPython 3.14's managers.py added to ListProxy (<c>clear</c>, <c>copy</c>) and DictProxy (<c>|</c>, <c>|=</c>,
/// <c>reversed()</c>, <c>fromkeys</c>): against 3.14 and multiprocess 0.70.19 as Python's list and dict answer, against
/// older managers a NotSupportedException that names what they expose, before any call.
/// </summary>
public sealed partial class SyncManagerClientTests
{
    [Test]
    public void ListCopyAndClear_AsPythonList_OrNameTheExposedList() => AssertNoLeak(() =>
    {
        using var l = _manager.List(new object?[] { 1L, "two", 3.0 });
        if (!ManagerIs314)
        {
            var e = Assert.Throws<NotSupportedException>(() => l.Copy());
            Assert.That(e!.Message, Does.Contain("without 'copy'").And.Contain("'append'").And.Contain("CPython 3.14"));
            Assert.That(() => l.ClearByMethod(), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("without 'clear'"));
            Assert.That(() => l.CopyAsync().AsTask().GetAwaiter().GetResult(), Throws.InstanceOf<NotSupportedException>());
            Assert.That(l.Count, Is.EqualTo(3), "nothing was sent");
            return;
        }

        Assert.That(l.Exposed, Does.Contain("copy").And.Contain("clear"));
        var copy = l.Copy();
        Assert.That(copy, Is.EqualTo(new object?[] { 1L, "two", 3.0 }));
        copy.Add("only here");
        Assert.That(l.Count, Is.EqualTo(3), "the copy is not shared");
        Assert.That(l.CopyAsync().AsTask().GetAwaiter().GetResult(), Is.EqualTo(new object?[] { 1L, "two", 3.0 }));
        l.ClearByMethod();
        Assert.That(l.Count, Is.Zero);
        Assert.That(l.Copy(), Is.Empty);
    });

    [Test]
    public void DictOrReversedFromKeys_AsPythonDict_OrNameTheExposedList() => AssertNoLeak(() =>
    {
        using var d = _manager.Dict(new PyDict { ["a"] = 1L, ["b"] = 2L });
        var other = new PyDict { ["b"] = 20L, ["c"] = 30L };
        if (!ManagerIs314)
        {
            var e = Assert.Throws<NotSupportedException>(() => d.Or(other));
            Assert.That(e!.Message, Does.Contain("without '__or__'").And.Contain("'keys'"));
            Assert.That(() => d.ReverseOr(other), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("without '__ror__'"));
            Assert.That(() => d.OrInPlace(other), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("without '__ior__'"));
            Assert.That(() => d.Reversed(), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("without '__reversed__'"));
            Assert.That(() => d.FromKeys(new[] { "x" }), Throws.InstanceOf<NotSupportedException>().With.Message.Contains("without 'fromkeys'"));
            Assert.That(d.Copy(), Is.EqualTo(new PyDict { ["a"] = 1L, ["b"] = 2L }), "nothing was sent");
            return;
        }

        Assert.That(d.Exposed, Does.Contain("__or__").And.Contain("__ror__").And.Contain("__ior__").And.Contain("__reversed__").And.Contain("fromkeys"));
        Assert.Multiple(() =>
        {
            // d | other: other wins; other | d: d wins; the order is the left operand's, then the new keys.
            var or = d.Or(other);
            Assert.That(or.Keys, Is.EqualTo(new object?[] { "a", "b", "c" }));
            Assert.That(or, Is.EqualTo(new PyDict { ["a"] = 1L, ["b"] = 20L, ["c"] = 30L }));
            var ror = d.ReverseOr(other);
            Assert.That(ror.Keys, Is.EqualTo(new object?[] { "b", "c", "a" }));
            Assert.That(ror, Is.EqualTo(new PyDict { ["b"] = 2L, ["c"] = 30L, ["a"] = 1L }));
            Assert.That(d.Copy(), Is.EqualTo(new PyDict { ["a"] = 1L, ["b"] = 2L }), "| leaves the shared dict as it was");
            var fromKeys = d.FromKeys(new object?[] { "x", 1L }, "v");
            Assert.That(fromKeys, Is.EqualTo(new PyDict { ["x"] = "v", [1L] = "v" }));
            Assert.That(d.FromKeys(new object?[] { "y" }), Is.EqualTo(new PyDict { ["y"] = null }));
            Assert.That(d.Count, Is.EqualTo(2), "fromkeys makes a new dict");
        });

        d.OrInPlace(other);
        Assert.That(d.Copy(), Is.EqualTo(new PyDict { ["a"] = 1L, ["b"] = 20L, ["c"] = 30L }));
        d["z"] = 0L;
        Assert.That(d.Reversed(), Is.EqualTo(new object?[] { "z", "c", "b", "a" }));
    });
}
