using System.Globalization;
using System.Numerics;

namespace Multiprocess.Pickle.Tests;

/// <summary>
/// Dict and set keys hash consistently with Python's <c>==</c> across numeric types, and key sets crafted to collide
/// (under the old 32-bit fold or under CPython's own modulus 2**61 − 1) spread like any other keys. Spread is
/// checked by counting distinct hashes, not by timing (the timing is the <c>hashing</c> benchmark suite).
/// </summary>
public class HashingTests
{
    private const long Mersenne61 = (1L << 61) - 1;

    private static readonly PyObjectComparer s_python = PyObjectComparer.Python;

    public static IEnumerable<TestCaseData> CraftedKeySets()
    {
        const int n = 100_000;
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)(i * ((1L << 32) + 1))).ToList())
            .SetName("Ints_iTimes2Pow32Plus1_FoldedToOneHashBefore");
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)((BigInteger)i * Mersenne61 + 7)).ToList())
            .SetName("Ints_iTimesMersenne61_OneHashInCPython");
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)((long)i << 32)).ToList())
            .SetName("Ints_iShiftedLeft32_LowBitsZero");
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)Math.ScaleB(1.0 + (i / 17), 61 * (i % 17))).ToList())
            .SetName("Floats_ScaledByPowersOf2Pow61");
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)double.NaN).ToList())
            .SetName("Floats_DistinctNaNObjects");
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)new Complex(i * 1000003.0, -i)).ToList())
            .SetName("Complex_RealMinus1000003TimesImagConstant");
        yield return new TestCaseData((object)Enumerable.Range(0, n).Select(i => (object?)PyDecimal.Parse(((BigInteger)i * Mersenne61).ToString(CultureInfo.InvariantCulture) + "E-5")).ToList())
            .SetName("Decimals_MultiplesOfMersenne61");
    }

    [TestCaseSource(nameof(CraftedKeySets))]
    public void HashKey_CraftedKeySet_SpreadsLikeRandomKeys(List<object?> keys)
    {
        // 100k distinct keys into 2**32 hash values: a random function leaves about 1 collision (NaNs hash by
        // identity, and CoreCLR's identity hash has 26 bits: about 75).
        var distinct = keys.Select(k => s_python.GetHashCode(k)).Distinct().Count();
        Assert.That(distinct, Is.GreaterThan(keys.Count - 200), "distinct 32-bit hashes among the crafted keys");

        // The bucket index is the hash's low bits: the fullest bucket of a 2**17 table stays small.
        var fullest = keys.GroupBy(k => s_python.GetHashCode(k) & ((1 << 17) - 1)).Max(g => g.Count());
        Assert.That(fullest, Is.LessThan(20), "keys in the fullest bucket of a 2**17 table");
    }

    [TestCaseSource(nameof(CraftedKeySets))]
    public void PySet_CraftedKeySet_KeepsEveryKey(List<object?> keys)
    {
        var set = new PySet();
        foreach (var k in keys)
        {
            set.Add(k);
        }

        Assert.That(set, Has.Count.EqualTo(keys.Count));
        Assert.That(keys.All(set.Contains), Is.True, "each key finds itself");
    }

    public static IEnumerable<TestCaseData> EqualAcrossTypes()
    {
        object?[] Of(params object?[] v) => v;
        yield return new TestCaseData((object)Of(1L, 1.0, true, new BigInteger(1), new Complex(1, 0), PyDecimal.Parse("1.000"), 1)).SetName("One");
        yield return new TestCaseData((object)Of(0L, 0.0, -0.0, false, new Complex(-0.0, 0), PyDecimal.Parse("-0E+5"))).SetName("Zero");
        yield return new TestCaseData((object)Of(-3L, -3.0, new BigInteger(-3), PyDecimal.Parse("-3"), new Complex(-3, -0.0))).SetName("MinusThree");
        yield return new TestCaseData((object)Of(0.5, PyDecimal.Parse("0.50"), new Complex(0.5, 0))).SetName("OneHalf");
        yield return new TestCaseData((object)Of(-0.1, PyDecimal.Parse("-0.1000000000000000055511151231257827021181583404541015625"))).SetName("MinusPointOneExactly");
        yield return new TestCaseData((object)Of(BigInteger.Pow(2, 70), Math.Pow(2, 70), PyDecimal.Parse("1180591620717411303424"), PyDecimal.Parse("1.180591620717411303424E+21"))).SetName("TwoPow70");
        yield return new TestCaseData((object)Of(long.MinValue, (double)long.MinValue, new BigInteger(long.MinValue))).SetName("LongMinValue");
        yield return new TestCaseData((object)Of(long.MaxValue, new BigInteger(long.MaxValue), PyDecimal.Parse("9223372036854775807"))).SetName("LongMaxValue");
        yield return new TestCaseData((object)Of(1L << 61, new BigInteger(Mersenne61) + 1, (double)(1L << 61), PyDecimal.Parse("2305843009213693952"))).SetName("AroundMersenne61");
        yield return new TestCaseData((object)Of(BigInteger.Pow(10, 400), PyDecimal.Parse("1E+400"), PyDecimal.Parse("100E+398"))).SetName("TenPow400");
        yield return new TestCaseData((object)Of(double.Epsilon, PyDecimal.Parse(BigInteger.Pow(5, 1074).ToString(CultureInfo.InvariantCulture) + "E-1074"))).SetName("SmallestSubnormal");
        yield return new TestCaseData((object)Of(double.PositiveInfinity, PyDecimal.Parse("Infinity"), new Complex(double.PositiveInfinity, 0))).SetName("Infinity");
        yield return new TestCaseData((object)Of(double.NegativeInfinity, PyDecimal.Parse("-Infinity"))).SetName("MinusInfinity");
        yield return new TestCaseData((object)Of(new Complex(1, 2), new Complex(1.0, 2.0))).SetName("ComplexWithImaginaryPart");
    }

    [TestCaseSource(nameof(EqualAcrossTypes))]
    public void HashKey_EqualValuesOfDifferentTypes_HashAlikeAndAreOneKey(object?[] values)
    {
        var d = new PyDict();
        foreach (var v in values)
        {
            d[v] = v;
        }

        Assert.Multiple(() =>
        {
            foreach (var v in values)
            {
                Assert.That(s_python.Equals(values[0], v), Is.True, $"{values[0]} == {v}");
                Assert.That(s_python.GetHashCode(v), Is.EqualTo(s_python.GetHashCode(values[0])), $"hash of {v} ({v?.GetType().Name})");
            }

            Assert.That(d, Has.Count.EqualTo(1), "one key");
            Assert.That(d.Keys.Single(), Is.SameAs(values[0]), "Python keeps the first key object");
        });
    }

    [Test]
    public void HashKey_RandomWholeNumbers_IntBigIntegerFloatAndDecimalAgree()
    {
        var random = new Random(15);
        for (var i = 0; i < 10_000; i++)
        {
            var l = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63);
            var big = (BigInteger)l * (1 + random.Next(0, 3)) * BigInteger.Pow(2, random.Next(0, 70));
            var asDecimal = PyDecimal.Parse(big.ToString(CultureInfo.InvariantCulture));
            Assert.That(s_python.GetHashCode(asDecimal), Is.EqualTo(s_python.GetHashCode(big)), $"Decimal('{big}') and {big}");
            if (new BigInteger((double)big) == big)
            {
                Assert.That(s_python.GetHashCode((double)big), Is.EqualTo(s_python.GetHashCode(big)), $"float({big})");
            }

            if (big >= long.MinValue && big <= long.MaxValue)
            {
                Assert.That(s_python.GetHashCode((long)big), Is.EqualTo(s_python.GetHashCode(big)), $"{big} as long and as BigInteger");
            }
        }
    }

    [Test]
    public void PyDict_NaNKeys_OneKeyPerNaNObjectAsCPython310()
    {
        object nan1 = double.NaN;
        object nan2 = double.NaN;
        var d = new PyDict { [nan1] = 1L, [nan2] = 2L };
        d[nan1] = 3L;
        Assert.Multiple(() =>
        {
            Assert.That(d, Has.Count.EqualTo(2), "two NaN objects are two keys (NaN != NaN)");
            Assert.That(d[nan1], Is.EqualTo(3L), "the same NaN object finds its entry");
            Assert.That(d.ContainsKey(double.NaN), Is.False, "a third NaN object finds nothing");
        });
    }

    [Test]
    public void PySet_SignalingNaNDecimal_IsUnhashableAsInPython()
    {
        var set = new PySet();
        var e = Assert.Throws<ArgumentException>(() => set.Add(PyDecimal.Parse("sNaN")));
        Assert.That(e!.Message, Does.Contain("Cannot hash a signaling NaN value"));
    }

    [Test]
    public void Loads_PickledDictOfCraftedKeys_EveryKeyAndValueKept()
    {
        var crafted = new PyDict();
        for (long i = 0; i < 50_000; i++)
        {
            crafted[i * ((1L << 32) + 1)] = i;
        }

        var back = (PyDict)PickleSerializer.Loads(PickleSerializer.Dumps(crafted))!;
        Assert.That(back, Has.Count.EqualTo(50_000));
        Assert.That(back[49_999L * ((1L << 32) + 1)], Is.EqualTo(49_999L));
    }
}
