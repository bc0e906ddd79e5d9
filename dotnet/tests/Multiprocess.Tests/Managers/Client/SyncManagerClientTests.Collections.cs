using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public void Dict_EveryMethod_BehavesAsPythonDict() => AssertNoLeak(() =>
    {
        using var d = _manager.Dict(new PyDict { ["a"] = 1L, [2L] = "two" });
        d["c"] = new List<object?> { 1L, 2.5, "x", null };
        d[1.0] = "one"; // Python key semantics: 1.0 is a new key here (2 ≠ 1.0)
        Assert.Multiple(() =>
        {
            Assert.That(d.Count, Is.EqualTo(4));
            Assert.That(d["a"], Is.EqualTo(1L));
            Assert.That(d[2L], Is.EqualTo("two"));
            Assert.That(d[1L], Is.EqualTo("one"), "1 and 1.0 are one key");
            Assert.That(d["c"], Is.EqualTo(new List<object?> { 1L, 2.5, "x", null }));
            Assert.That(d.ContainsKey("a"), Is.True);
            Assert.That(d.ContainsKey("zz"), Is.False);
            Assert.That(d.Get("zz", "dflt"), Is.EqualTo("dflt"));
            Assert.That(d.Get("zz"), Is.Null);
            Assert.That(d.Keys, Is.EqualTo(new object?[] { "a", 2L, "c", 1.0 }));
            Assert.That(d.Values, Has.Count.EqualTo(4));
            Assert.That(d.SetDefault("n", 5L), Is.EqualTo(5L));
            Assert.That(d.SetDefault("n", 6L), Is.EqualTo(5L));
            Assert.That(d.Pop("n"), Is.EqualTo(5L));
            Assert.That(d.Pop("n", "gone"), Is.EqualTo("gone"));
            Assert.That(d.PopItem(), Is.EqualTo(new KeyValuePair<object?, object?>(1.0, "one")));
        });

        d.Update(new PyDict { ["u"] = true, ["a"] = 10L });
        Assert.That(d["a"], Is.EqualTo(10L));
        var copy = d.Copy();
        Assert.That(copy["u"], Is.EqualTo(true));
        Assert.That(d.Items().Select(kv => kv.Key), Is.EqualTo(new object?[] { "a", 2L, "c", "u" }));
        Assert.That(d.Select(kv => kv.Key), Is.EqualTo(new object?[] { "a", 2L, "c", "u" }));
        Assert.That(d.Remove("u"), Is.True);
        Assert.That(d.Remove("u"), Is.False);
        Assert.That(d.TryGetValue("a", out var a) && a is 10L, Is.True);
        Assert.That(d.TryGetValue("u", out _), Is.False);
        Assert.That(() => d.Add("a", 1L), Throws.ArgumentException);
        d.Add("new", 1L);
        Assert.That(d.Contains(new KeyValuePair<object?, object?>("new", 1L)), Is.True);
        Assert.That(d.GetValue(), Is.InstanceOf<PyDict>().And.Count.EqualTo(4));
        Assert.That(d.ReferentRepr(), Does.StartWith("{'a': 10, 2: 'two'"));
        d.Clear();
        Assert.That(d.Count, Is.Zero);
    });

    [Test]
    public void Dict_MissingKey_ThrowsKeyNotFoundWithPythonKeyError()
    {
        using var d = _manager.Dict();
        var e = Assert.Throws<KeyNotFoundException>(() => _ = d["missing"]);
        var py = PythonError(e!);
        Assert.That(py, Is.Not.Null);
        Assert.That(py!.TypeName, Is.EqualTo("KeyError"));
        Assert.That(py.Args, Is.EqualTo(PyTuple.Create("missing")));
        Assert.That(() => d.PopItem(), Throws.InstanceOf<KeyNotFoundException>());
    }

    [Test]
    public void Dict_Iter_ReturnsIteratorProxyAndCountsStayBalanced() => AssertNoLeak(() =>
    {
        using var d = _manager.Dict(new PyDict { ["x"] = 1L, ["y"] = 2L });
        var before = SettledObjectCount();
        using (var it = d.Iter())
        {
            // #PROXY: create + incref + decref leaves exactly one reference for the iterator.
            Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before + 1));
            Assert.That(_manager.DebugInfo(), Does.Contain($"{it.Token.Id}:       refcount=1"));
            Assert.That(it.Token.Address, Is.EqualTo(d.Token.Address));
            Assert.That(it.ToList(), Is.EqualTo(new object?[] { "x", "y" }));
            Assert.That(it.TryNext(out _), Is.False);
            Assert.That(() => it.Next(), Throws.InvalidOperationException);
        }

        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before));
    });

    [Test]
    public void List_EveryMethod_BehavesAsPythonList() => AssertNoLeak(() =>
    {
        using var l = _manager.List(new object?[] { 3L, 1L, 2L });
        l.Add(5L);
        l.Extend(new[] { 4L, 1L });
        l.Insert(0, 0L);
        Assert.Multiple(() =>
        {
            Assert.That(l.ToList(), Is.EqualTo(new object?[] { 0L, 3L, 1L, 2L, 5L, 4L, 1L }));
            Assert.That(l.Count, Is.EqualTo(7));
            Assert.That(l[1], Is.EqualTo(3L));
            Assert.That(l[-1], Is.EqualTo(1L));
            Assert.That(l.CountOf(1L), Is.EqualTo(2));
            Assert.That(l.IndexOf(5L), Is.EqualTo(4));
            Assert.That(l.IndexOf(99L), Is.EqualTo(-1));
            Assert.That(l.Index(1L, 3), Is.EqualTo(6));
            Assert.That(l.Contains(4L), Is.True);
            Assert.That(l.Slice(1, 3), Is.EqualTo(new object?[] { 3L, 1L }));
            Assert.That(l.Slice(null, null, -3), Is.EqualTo(new object?[] { 1L, 2L, 0L }));
            Assert.That(l.Concat(new[] { "z" }), Has.Count.EqualTo(8));
            Assert.That(l.Repeat(2), Has.Count.EqualTo(14));
        });

        Assert.That(l.Pop(), Is.EqualTo(1L));
        Assert.That(l.Pop(0), Is.EqualTo(0L));
        Assert.That(l.Remove(5L), Is.True);
        Assert.That(l.Remove(5L), Is.False);
        l.Sort();
        Assert.That(l.ToList(), Is.EqualTo(new object?[] { 1L, 2L, 3L, 4L }));
        l.Sort(reverse: true);
        Assert.That(l.ToList(), Is.EqualTo(new object?[] { 4L, 3L, 2L, 1L }));
        l[0] = -10L;
        l.Sort(key: "builtins:abs");
        Assert.That(l.ToList(), Is.EqualTo(new object?[] { 1L, 2L, 3L, -10L }));
        l.Reverse();
        l.RemoveAt(0);
        l.RepeatInPlace(2);
        Assert.That(l.ToList(), Is.EqualTo(new object?[] { 3L, 2L, 1L, 3L, 2L, 1L }));
        var array = new object?[8];
        l.CopyTo(array, 2);
        Assert.That(array[2], Is.EqualTo(3L));
        Assert.That(l.ReferentStr(), Is.EqualTo("[3, 2, 1, 3, 2, 1]"));
        l.Clear();
        Assert.That(l, Is.Empty);
    });

    [Test]
    public void List_IndexOutOfRange_ThrowsArgumentOutOfRangeWithIndexError()
    {
        using var l = _manager.List();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = l[3]);
        Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("IndexError"));
        Assert.That(() => l.Pop(), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => l.Index("x"), Throws.ArgumentException);
    }

    [Test]
    public async Task List_AsyncMethods_Work()
    {
        await using var l = _manager.List();
        await l.AppendAsync("a");
        await l.SetItemAsync(0, "b");
        Assert.That(await l.GetItemAsync(0), Is.EqualTo("b"));
        Assert.That(await l.CountAsync(), Is.EqualTo(1));
        Assert.That(await l.ToListAsync(), Is.EqualTo(new object?[] { "b" }));
    }

    [Test]
    public void Value_GetSet_RoundTripsAnyPythonValue() => AssertNoLeak(() =>
    {
        using var v = _manager.Value("i", 7L);
        Assert.That(v.Value, Is.EqualTo(7L));
        v.Value = 8L;
        Assert.That(v.Get(), Is.EqualTo(8L));
        v.Set("no typecode check");
        Assert.That(v.Value, Is.EqualTo("no typecode check"));
        Assert.That(v.ReferentRepr(), Is.EqualTo("Value('i', 'no typecode check')"));
    });

    [Test]
    public void Array_Ints_IndexLengthAndCopy() => AssertNoLeak(() =>
    {
        using var a = _manager.Array("i", new[] { 1, 2, 3 });
        Assert.That(a.Length, Is.EqualTo(3));
        Assert.That(a[1], Is.EqualTo(2L));
        a[1] = -20L;
        Assert.That(a[-2], Is.EqualTo(-20L));
        Assert.That(a.ToList(), Is.EqualTo(new object?[] { 1L, -20L, 3L }));
        Assert.That(() => a[5] = 1L, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => a[0] = "text", Throws.ArgumentException, "TypeError");
    });

    [TestCase("d", 1.5, 2.25)]
    [TestCase("b", -3L, 4L)]
    [TestCase("Q", 18446744073709551615UL, 1UL)]
    [TestCase("h", -300L, 300L)]
    [TestCase("f", 0.5, -1.25)]
    public void Array_TypeCodes_ToListDecodesMachineFormat(string typeCode, object first, object second)
    {
        using var a = _manager.Array(typeCode, new[] { first, second });
        var items = a.ToList();
        Assert.That(items.Select(i => i?.ToString()), Is.EqualTo(new[] { first.ToString(), second.ToString() }));
    }

    [Test]
    public void Namespace_Attributes_GetSetDeleteAndDynamic() => AssertNoLeak(() =>
    {
        using var ns = _manager.Namespace(new Dictionary<string, object?> { ["x"] = 1L });
        Assert.That(ns["x"], Is.EqualTo(1L));
        ns.SetAttribute("y", "why");
        dynamic dyn = ns.AsDynamic();
        dyn.z = 3L;
        Assert.That((long)dyn.x, Is.EqualTo(1L));
        Assert.That(ns.ToDictionary().Keys, Is.EquivalentTo(new object?[] { "x", "y", "z" }));
        Assert.That(ns.ReferentRepr(), Is.EqualTo("Namespace(x=1, y='why', z=3)"));
        ns.DeleteAttribute("y");
        Assert.That(ns.TryGetAttribute("y", out _), Is.False);
        var e = Assert.Throws<MissingMemberException>(() => ns.GetAttribute("y"));
        Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("AttributeError"));
    });
}
