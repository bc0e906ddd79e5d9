using System.Numerics;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.Managers;

/// <summary>dict, list, Namespace, Value, Array and the dict iterator at the object level: CPython's semantics and errors.</summary>
public class ContainerReferentTests
{
    private ServerHarness _h = null!;

    [SetUp]
    public void SetUp() => _h = new ServerHarness();

    [TearDown]
    public void TearDown() => _h.Dispose();

    [Test]
    public void DictKeys_IntFloatBoolAreOneKey_StrAndBytesDistinct()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict");
        _h.Return(c, d, "__setitem__", 1L, "int");
        _h.Return(c, d, "__setitem__", 1.0, "float");
        _h.Return(c, d, "__setitem__", true, "bool");
        _h.Return(c, d, "__setitem__", "x", "str");
        _h.Return(c, d, "__setitem__", "x"u8.ToArray(), "bytes");
        _h.Return(c, d, "__setitem__", PyTuple.Create(1L, "a"), "tuple");
        Assert.That(_h.Return(c, d, "__len__"), Is.EqualTo(4L));
        Assert.That(_h.Return(c, d, "__getitem__", new BigInteger(1)), Is.EqualTo("bool"));
        Assert.That(_h.Return(c, d, "__getitem__", PyTuple.Create(1.0, "a")), Is.EqualTo("tuple"));
        Assert.That(_h.Return(c, d, "keys"), Is.EqualTo(new List<object?> { 1L, "x", "x"u8.ToArray(), PyTuple.Create(1L, "a") }));
    }

    [Test]
    public void DictKeys_UnhashableAndUserObjects_RaiseTypeError()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict");
        var unhashable = _h.Error(c, d, "__setitem__", new List<object?> { 1L }, 1L);
        Assert.That(unhashable.TypeName, Is.EqualTo("TypeError"));
        Assert.That(unhashable.Message, Is.EqualTo("unhashable type: 'list'"));
        var point = PyReduce.NewObj(new PyGlobal("__main__", "Point"), state: new PyDict { ["x"] = 1L });
        var user = _h.Error(c, d, "__getitem__", PyTuple.Create("k", point));
        Assert.That(user.TypeName, Is.EqualTo("TypeError"));
        Assert.That(user.Message, Does.Contain("cannot hash a 'Point' object"));
    }

    [Test]
    public void DictMethods_ErrorsAreCPythons()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict");
        var missing = _h.Error(c, d, "__getitem__", "k");
        Assert.That((missing.TypeName, missing.Args.Count, missing.Args[0]), Is.EqualTo(("KeyError", 1, (object)"k")));
        Assert.That(_h.Error(c, d, "popitem").Message, Is.EqualTo("'popitem(): dictionary is empty'"));
        Assert.That(_h.Error(c, d, "get").TypeName, Is.EqualTo("TypeError"));
        Assert.That(_h.Error(c, d, "update", new List<object?> { PyTuple.Create(1L, 2L, 3L) }).Message,
            Is.EqualTo("dictionary update sequence element #0 has length 3; 2 is required"));
        Assert.That(_h.Return(c, d, "pop", "k", "default"), Is.EqualTo("default"));
        Assert.That(_h.Return(c, d, "setdefault", "k", 5L), Is.EqualTo(5L));
        Assert.That(_h.Return(c, d, "popitem"), Is.EqualTo(PyTuple.Create("k", 5L)));
    }

    [Test]
    public void DictIter_ReturnsAProxyOfTypeIterator_WhichStopsAndDetectsResizes()
    {
        var c = _h.NewClient();
        var d = _h.Create("dict", new PyDict { ["a"] = 1L, ["b"] = 2L });
        var reply = _h.Call(c, d, "__iter__");
        Assert.That(reply[0], Is.EqualTo("#PROXY"));
        var (exposed, token) = ((PyTuple)((PyTuple)reply[1]!)[0]!, (PyReduce)((PyTuple)reply[1]!)[1]!);
        Assert.That(exposed, Is.EqualTo(PyTuple.Create("__next__", "send", "throw", "close")));
        var state = (PyTuple)token.State!;
        Assert.That(state[0], Is.EqualTo("Iterator"));
        var it = (string)state[2]!;
        Assert.That(_h.Return(c, it, "__next__"), Is.EqualTo("a"));
        _h.Return(c, d, "__setitem__", "a", 10L);
        Assert.That(_h.Return(c, it, "__next__"), Is.EqualTo("b"));
        Assert.That(_h.Error(c, it, "__next__").TypeName, Is.EqualTo("StopIteration"));
        Assert.That(_h.Call(c, it, "send", 1L)[0], Is.EqualTo("#TRACEBACK"));

        var it2 = (string)((PyTuple)((PyReduce)((PyTuple)_h.Call(c, d, "__iter__")[1]!)[1]!).State!)[2]!;
        _h.Return(c, d, "__setitem__", "c", 3L);
        Assert.That(_h.Error(c, it2, "__next__").Message, Is.EqualTo("dictionary changed size during iteration"));
        Assert.That(_h.Error(c, it2, "__next__").Message, Is.EqualTo("dictionary changed size during iteration"));
    }

    [Test]
    public void List_SlicesAndSequenceOperators()
    {
        var c = _h.NewClient();
        var l = _h.Create("list", new List<object?> { 0L, 1L, 2L, 3L, 4L, 5L });
        var everyOther = new PyReduce(new PyGlobal("builtins", "slice"), PyTuple.Create(null, null, 2L));
        Assert.That(_h.Return(c, l, "__getitem__", everyOther), Is.EqualTo(new List<object?> { 0L, 2L, 4L }));
        var reversed = new PyReduce(new PyGlobal("builtins", "slice"), PyTuple.Create(null, null, -1L));
        Assert.That(_h.Return(c, l, "__getitem__", reversed), Is.EqualTo(new List<object?> { 5L, 4L, 3L, 2L, 1L, 0L }));
        _h.Return(c, l, "__setitem__", new PyReduce(new PyGlobal("builtins", "slice"), PyTuple.Create(1L, 3L, null)), "ab");
        Assert.That(_h.Return(c, l, "__getitem__", new PyReduce(new PyGlobal("builtins", "slice"), PyTuple.Create(0L, 4L, null))),
            Is.EqualTo(new List<object?> { 0L, "a", "b", 3L }));
        _h.Return(c, l, "__delitem__", everyOther);
        Assert.That(_h.Return(c, l, "__len__"), Is.EqualTo(3L));
        Assert.That(_h.Error(c, l, "__setitem__", everyOther, new List<object?>()).Message,
            Is.EqualTo("attempt to assign sequence of size 0 to extended slice of size 2"));
        Assert.That(_h.Return(c, l, "__mul__", 2L), Has.Count.EqualTo(6));
        Assert.That(_h.Error(c, l, "__mul__", 2.0).Message, Is.EqualTo("can't multiply sequence by non-int of type 'float'"));
        Assert.That(_h.Error(c, l, "__getitem__", 9L).Message, Is.EqualTo("list index out of range"));
    }

    [Test]
    public void ListSort_IsStableAndFailsWithoutChangingTheList()
    {
        var c = _h.NewClient();
        var l = _h.Create("list", new List<object?> { PyTuple.Create(1L, "b"), PyTuple.Create(0L, "z"), PyTuple.Create(1L, "a"), 2.5 });
        var failed = _h.Error(c, l, "sort");
        Assert.That(failed.Message, Does.StartWith("'<' not supported between instances of"));
        Assert.That(_h.Return(c, l, "__len__"), Is.EqualTo(4L));
        _h.Return(c, l, "pop");
        _h.ReturnKw(c, l, "sort", new PyDict { ["reverse"] = true });
        Assert.That(_h.Return(c, l, "#GETVALUE"), Is.EqualTo(new List<object?>
        {
            PyTuple.Create(1L, "b"), PyTuple.Create(1L, "a"), PyTuple.Create(0L, "z"),
        }));
        Assert.That(_h.ErrorKw(c, l, "sort", new PyDict { ["key"] = new PyGlobal("builtins", "len") }).TypeName,
            Is.EqualTo("NotImplementedError"));
    }

    [Test]
    public void ListSort_OrdersStrByCodePointAndNumbersExactly()
    {
        var c = _h.NewClient();
        var l = _h.Create("list", new List<object?> { "\U0001F600", "\uffff", "a" });
        _h.Return(c, l, "sort");
        Assert.That(_h.Return(c, l, "#GETVALUE"), Is.EqualTo(new List<object?> { "a", "\uffff", "\U0001F600" }));
        var n = _h.Create("list", new List<object?> { (double)(1L << 53), (1L << 53) + 1, true, 0.5 });
        _h.Return(c, n, "sort");
        Assert.That(_h.Return(c, n, "#GETVALUE"), Is.EqualTo(new List<object?> { 0.5, true, (double)(1L << 53), (1L << 53) + 1 }));
    }

    [Test]
    public void Namespace_AttributesAndRepr()
    {
        var c = _h.NewClient();
        var ns = _h.Create("Namespace", new PyDict { ["b"] = 2L, ["a"] = "x" });
        _h.Return(c, ns, "__setattr__", "_hidden", 1L);
        Assert.That(_h.Return(c, ns, "__repr__"), Is.EqualTo("Namespace(a='x', b=2)"));
        Assert.That(_h.Return(c, ns, "__getattribute__", "a"), Is.EqualTo("x"));
        _h.Return(c, ns, "__delattr__", "a");
        Assert.That(_h.Error(c, ns, "__getattribute__", "a").Message, Is.EqualTo("'Namespace' object has no attribute 'a'"));
        var value = (PyReduce)_h.Return(c, ns, "#GETVALUE")!;
        Assert.That(value.ClassGlobal, Is.EqualTo(new PyGlobal("multiprocessing.managers", "Namespace")));
    }

    [Test]
    public void Array_ChecksItemsPerTypecode()
    {
        var c = _h.NewClient();
        var a = _h.Create("Array", "b", new List<object?> { 1L, -1L });
        Assert.That(_h.Error(c, a, "__setitem__", 0L, 128L).Message, Is.EqualTo("signed char is greater than maximum"));
        Assert.That(_h.Error(c, a, "__setitem__", 0L, 1L << 40).Message, Is.EqualTo("signed short integer is greater than maximum"));
        var value = (PyReduce)_h.Return(c, a, "#GETVALUE")!;
        Assert.That(value.Args, Is.EqualTo(PyTuple.Create("b", new byte[] { 1, 0xFF })));
        var f = _h.Create("Array", "f", new List<object?> { 0.1 });
        Assert.That(_h.Return(c, f, "__getitem__", 0L), Is.EqualTo((double)0.1f));
        var q = _h.Create("Array", "Q", new List<object?> { new BigInteger(ulong.MaxValue) });
        Assert.That(_h.Return(c, q, "__getitem__", -1L), Is.EqualTo(new BigInteger(ulong.MaxValue)));
        var reply = _h.Public("create", "Array", "i", "abc");
        Assert.That(reply[0], Is.EqualTo("#TRACEBACK"));
        Assert.That((string)reply[1]!, Does.EndWith("TypeError: cannot use a str to initialize an array with typecode 'i'\n"));
    }

    [Test]
    public void Value_IsAPlainHolderWithCPythonsRepr()
    {
        var c = _h.NewClient();
        var v = _h.Create("Value", "i", 5L);
        _h.Return(c, v, "set", "not an int");
        Assert.That(_h.Return(c, v, "get"), Is.EqualTo("not an int"));
        Assert.That(_h.Return(c, v, "__str__"), Is.EqualTo("Value('i', 'not an int')"));
    }

    [Test]
    public void ContainersReadingEachOther_FromTwoClientsAtOnce_DoNotDeadlock()
    {
        var a = _h.Create("list", new List<object?> { 1L });
        var b = _h.Create("list", new List<object?> { 2L });
        var d = _h.Create("dict");
        var e = _h.Create("dict");
        var pa = ServerHarness.ProxyOf("list", a);
        var pb = ServerHarness.ProxyOf("list", b);
        var pd = ServerHarness.ProxyOf("dict", d);
        var pe = ServerHarness.ProxyOf("dict", e);
        void Loop(string name, Action<Multiprocess.Managers.Referents.SharedCallContext> body)
        {
            var c = _h.NewClient(name);
            for (var i = 0; i < 2000; i++)
            {
                body(c);
            }
        }

        var t1 = Task.Run(() => Loop("one", c =>
        {
            _h.Return(c, a, "extend", pb);
            _h.Return(c, a, "__delitem__", new PyReduce(new PyGlobal("builtins", "slice"), PyTuple.Create(1L, null, null)));
            _h.Return(c, d, "update", pe);
        }));
        var t2 = Task.Run(() => Loop("two", c =>
        {
            _h.Return(c, b, "extend", pa);
            _h.Return(c, b, "__delitem__", new PyReduce(new PyGlobal("builtins", "slice"), PyTuple.Create(1L, null, null)));
            _h.Return(c, e, "update", pd);
        }));
        Assert.That(Task.WaitAll([t1, t2], 20_000), Is.True, "deadlock");
        var c = _h.NewClient();
        _h.Return(c, a, "extend", pa);                       // l.extend(l) sees the items from before the call
        Assert.That(_h.Return(c, a, "#GETVALUE"), Is.EqualTo(new List<object?> { 1L, 1L }));
    }
}
