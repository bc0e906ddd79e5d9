using System.Numerics;

namespace Multiprocess.Pickle.Tests;

public class PyDictTests
{
    [Test]
    public void Indexer_OneOneDotZeroAndTrue_AreOneKeyKeepingTheFirst()
    {
        var d = new PyDict { [1L] = "int" };
        d[1.0] = "float";
        d[true] = "bool";
        d[new Complex(1, 0)] = "complex";
        d[PyDecimal.Parse("1.000")] = "decimal";
        d[1] = "clr int";
        Assert.Multiple(() =>
        {
            Assert.That(d, Has.Count.EqualTo(1));
            Assert.That(d.Keys.Single(), Is.TypeOf<long>());   // Python keeps the first key object
            Assert.That(d[1L], Is.EqualTo("clr int"));
        });
    }

    [Test]
    public void Enumerate_AfterDeleteAndReinsert_InsertionOrderAsPython()
    {
        var d = new PyDict { ["a"] = 1L, ["b"] = 2L, ["c"] = 3L };
        d.Remove("a");
        d["a"] = 4L;
        Assert.That(d.Select(kv => kv.Key), Is.EqualTo(new[] { "b", "c", "a" }));
    }

    [Test]
    public void Indexer_NoneTupleBytesFrozensetKeys_CompareByContent()
    {
        var d = new PyDict { [null] = 0L, [PyTuple.Create(1L, "x")] = 1L, [new byte[] { 1, 2 }] = 2L, [new PyFrozenSet(1L, 2L)] = 3L };
        Assert.Multiple(() =>
        {
            Assert.That(d[null], Is.EqualTo(0L));
            Assert.That(d[PyTuple.Create(1.0, "x")], Is.EqualTo(1L));
            Assert.That(d[new byte[] { 1, 2 }], Is.EqualTo(2L));
            Assert.That(d[new PyFrozenSet(2L, 1L)], Is.EqualTo(3L));
        });
    }

    [Test]
    public void Indexer_ListKey_ThrowsUnhashable()
    {
        var ex = Assert.Throws<UnhashableException>(() => new PyDict()[new List<object?>()] = 1L);
        Assert.That(ex!.Message, Does.Contain("unhashable type: 'list'"));
    }

    [Test]
    public void Indexer_MissingKey_ThrowsKeyNotFoundWithRepr()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => _ = new PyDict()["x"]);
        Assert.That(ex!.Message, Does.Contain("'x'"));
    }

    [Test]
    public void Enumerate_WhileAdding_Throws()
    {
        var d = new PyDict { ["a"] = 1L };
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var kv in d)
            {
                d["b"] = 2L;
            }
        });
    }

    [Test]
    public void Equals_SameItemsOtherOrder_True()
    {
        var a = new PyDict { ["x"] = 1L, ["y"] = new List<object?> { 2L } };
        var b = new PyDict { ["y"] = new List<object?> { 2.0 }, ["x"] = 1L };
        Assert.That(a.Equals(b), Is.True);
    }

    [Test]
    public void Hash_IntFloatDecimalBigInteger_AgreeWithPython()
    {
        var c = PyObjectComparer.Python;
        Assert.Multiple(() =>
        {
            Assert.That(c.GetHashCode(2L), Is.EqualTo(c.GetHashCode(2.0)));
            Assert.That(c.GetHashCode(0.5), Is.EqualTo(c.GetHashCode(PyDecimal.Parse("0.50"))));
            Assert.That(c.GetHashCode(BigInteger.Pow(2, 64)), Is.EqualTo(c.GetHashCode(18446744073709551616.0)));
            Assert.That(c.Equals(BigInteger.Pow(2, 64), 18446744073709551616.0), Is.True);
            Assert.That(c.Equals(9007199254740993L, 9007199254740992.0), Is.False);   // 2**53 + 1 is not the double 2**53
            Assert.That(c.Equals(double.NaN, double.NaN), Is.False);
        });
    }

    [Test]
    public void EmptyDicts_ShareNothingOnceWritten()
    {
        // Empty dicts share one table until their first insert (kwargs of every manager request): none may see another's items.
        var a = new PyDict();
        var b = new PyDict();
        var c = new PyDict(0);
        a["x"] = 1L;
        b.TryAdd("y", 2L);
        c.Clear();
        Assert.Multiple(() =>
        {
            Assert.That(a.Keys, Is.EqualTo(new[] { "x" }));
            Assert.That(b.Keys, Is.EqualTo(new[] { "y" }));
            Assert.That(c, Is.Empty);
            Assert.That(new PyDict().ContainsKey("x"), Is.False);
            Assert.That(new PyDict().Remove("x"), Is.False);
        });
    }

    [Test]
    public void EmptyDict_InsertDuringEnumeration_FailsTheEnumeration()
    {
        var d = new PyDict();
        using var e = d.GetEnumerator();
        d["x"] = 1L;
        Assert.That(() => e.MoveNext(), Throws.InvalidOperationException);
    }
}
