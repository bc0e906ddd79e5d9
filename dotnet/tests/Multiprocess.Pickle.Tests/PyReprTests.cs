using System.Numerics;

namespace Multiprocess.Pickle.Tests;

public class PyReprTests
{
    [TestCase(0.1, "0.1")]
    [TestCase(1e16, "1e+16")]
    [TestCase(1e15, "1000000000000000.0")]
    [TestCase(1e-5, "1e-05")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(double.PositiveInfinity, "inf")]
    [TestCase(double.NegativeInfinity, "-inf")]
    [TestCase(double.NaN, "nan")]
    [TestCase(1.7976931348623157e308, "1.7976931348623157e+308")]
    [TestCase(5e-324, "5e-324")]
    [TestCase(123456789.0, "123456789.0")]
    [TestCase(1.5e300, "1.5e+300")]
    public void Float_Value_MatchesCPython(double value, string expected) =>
        Assert.That(PyRepr.Repr(value), Is.EqualTo(expected));

    [TestCase("abc", "'abc'")]
    [TestCase("it's", "\"it's\"")]
    [TestCase("a\"b", "'a\"b'")]
    [TestCase("it's \"x\"", "'it\\'s \"x\"'")]
    [TestCase("\0\t\n\r\x7f\\", "'\\x00\\t\\n\\r\\x7f\\\\'")]
    [TestCase("é日😀", "'é日😀'")]
    public void Str_Value_MatchesCPython(string value, string expected) =>
        Assert.That(PyRepr.Repr(value), Is.EqualTo(expected));

    [Test]
    public void Str_UnprintableAndLoneSurrogate_Escaped()
    {
        // Built at run time: a lone surrogate does not survive in attribute metadata.
        var value = "\u200b\u00a0" + (char)0xD800 + "\U0001F600";
        Assert.That(PyRepr.Repr(value), Is.EqualTo("'\\u200b\\xa0\\ud800😀'"));
    }

    [Test]
    public void Repr_Containers_MatchCPython()
    {
        var self = new List<object?>();
        self.Add(self);
        Assert.Multiple(() =>
        {
            Assert.That(PyRepr.Repr(PyTuple.Create(1L)), Is.EqualTo("(1,)"));
            Assert.That(PyRepr.Repr(PyTuple.Empty), Is.EqualTo("()"));
            Assert.That(PyRepr.Repr(new PyDict { ["a"] = null, [PyTuple.Create(1L, 2L)] = true }), Is.EqualTo("{'a': None, (1, 2): True}"));
            Assert.That(PyRepr.Repr(new PySet()), Is.EqualTo("set()"));
            Assert.That(PyRepr.Repr(new PyFrozenSet(1L)), Is.EqualTo("frozenset({1})"));
            Assert.That(PyRepr.Repr(self), Is.EqualTo("[[...]]"));
            Assert.That(PyRepr.Repr(new byte[] { 0, (byte)'\'', 200 }), Is.EqualTo("b\"\\x00'\\xc8\""));
            Assert.That(PyRepr.Repr(new Complex(1, 2)), Is.EqualTo("(1+2j)"));
            Assert.That(PyRepr.Repr(new Complex(0, 1)), Is.EqualTo("1j"));
            Assert.That(PyRepr.Repr(BigInteger.Pow(10, 30)), Is.EqualTo("1" + new string('0', 30)));
            Assert.That(PyRepr.Repr(PyException.Builtin("KeyError", "x")), Is.EqualTo("KeyError('x')"));
            Assert.That(PyRepr.Repr(TimeSpan.FromSeconds(-1)), Is.EqualTo("datetime.timedelta(days=-1, seconds=86399)"));
            Assert.That(PyRepr.Repr(new DateTimeOffset(2020, 1, 2, 3, 4, 0, TimeSpan.Zero)), Is.EqualTo("datetime.datetime(2020, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)"));
            Assert.That(PyRepr.Repr(1.10m), Is.EqualTo("Decimal('1.10')"));
        });
    }

    [Test]
    public void Repr_DeeplyNested_ThrowsInsufficientExecutionStackNotCrash()
    {
        object? v = null;
        for (var i = 0; i < 1_000_000; i++)
        {
            v = new List<object?> { v };
        }

        var t = new Thread(() => Assert.Throws<InsufficientExecutionStackException>(() => PyRepr.Repr(v)), 1024 * 1024);
        t.Start();
        t.Join();
    }
}
