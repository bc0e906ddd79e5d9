using Multiprocess.Pickle;

namespace Multiprocess.Tests.Shm;

[TestFixture]
public sealed class PyReprTests
{
    [TestCase(2.0, "2.0")]
    [TestCase(2.5, "2.5")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(0.0, "0.0")]
    [TestCase(1e16, "1e+16")]
    [TestCase(1e15, "1000000000000000.0")]
    [TestCase(123456789012345680.0, "1.2345678901234568e+17")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(0.00001, "1e-05")]
    [TestCase(1.5e-5, "1.5e-05")]
    [TestCase(1e100, "1e+100")]
    [TestCase(0.1, "0.1")]
    [TestCase(double.NaN, "nan")]
    [TestCase(double.PositiveInfinity, "inf")]
    [TestCase(double.NegativeInfinity, "-inf")]
    [TestCase(5e-324, "5e-324")]
    public void Float_Value_MatchesCPythonRepr(double value, string expected) =>
        Assert.That(PyRepr.Float(value), Is.EqualTo(expected));

    [TestCase("abc", "'abc'")]
    [TestCase("it's", "\"it's\"")]
    [TestCase("'\"", "'\\'\"'")]
    [TestCase("a\nb\t\\", "'a\\nb\\t\\\\'")]
    [TestCase("hé\u0001", "'hé\\x01'")]
    public void Str_Value_MatchesCPythonRepr(string value, string expected) =>
        Assert.That(PyRepr.Repr(value), Is.EqualTo(expected));

    [Test]
    public void Bytes_Mixed_MatchesCPythonRepr() =>
        Assert.That(PyRepr.Repr(new byte[] { (byte)'x', 0, 0xff, (byte)'\'', (byte)'\n' }), Is.EqualTo("b\"x\\x00\\xff'\\n\""));
}
