using System.Numerics;

namespace Multiprocess.Pickle.Internal;

/// <summary>
/// CPython's numeric hash (Python/pyhash.c, Objects/longobject.c, floatobject.c, complexobject.c,
/// Lib/_pydecimal.py __hash__): reduction modulo the Mersenne prime 2**61 − 1, so that equal numbers of different
/// types (1, 1.0, True, Decimal('1.0'), 1+0j) hash alike.
/// </summary>
internal static class PyHash
{
    public const ulong Modulus = (1UL << 61) - 1;
    public const long Inf = 314159;
    public const long ComplexImag = 1000003;

    // pow(10, P - 2, P): the inverse of 10 modulo P, used for negative decimal exponents.
    private static readonly ulong s_tenInverse = (ulong)BigInteger.ModPow(10, Modulus - 2, Modulus);

    public static long FromInt64(long value)
    {
        if (value >= 0)
        {
            return Fix((long)((ulong)value % Modulus));
        }

        // -(|x| mod P): computed on the unsigned magnitude so long.MinValue works.
        return Fix(-(long)(((ulong)(-(value + 1)) + 1) % Modulus));
    }

    public static long FromBigInteger(BigInteger value)
    {
        if (value.Sign >= 0)
        {
            return Fix((long)(ulong)(value % Modulus));
        }

        return Fix(-(long)(ulong)(BigInteger.Negate(value) % Modulus));
    }

    public static long FromDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return 0; // 3.10+ hashes NaN by identity; equal keys never involve NaN, so any constant works.
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? Inf : -Inf;
        }

        var bits = BitConverter.DoubleToInt64Bits(value);
        var negative = bits < 0;
        var exponent = (int)((bits >> 52) & 0x7FF);
        var mantissa = (ulong)bits & 0xF_FFFF_FFFF_FFFFUL;
        if (exponent == 0)
        {
            exponent = 1; // subnormal
        }
        else
        {
            mantissa |= 1UL << 52;
        }

        // value = mantissa * 2**(exponent - 1075); 2**61 ≡ 1 (mod P), so only the exponent mod 61 matters.
        var e = (exponent - 1075) % 61;
        if (e < 0)
        {
            e += 61;
        }

        var x = (ulong)((UInt128)(mantissa % Modulus) * ((UInt128)1 << e) % Modulus);
        return Fix(negative ? -(long)x : (long)x);
    }

    public static long FromDecimal(bool negative, BigInteger coefficient, int exponent)
    {
        ulong scale = exponent >= 0
            ? (ulong)BigInteger.ModPow(10, exponent, Modulus)
            : (ulong)BigInteger.ModPow(s_tenInverse, -(long)exponent, Modulus);
        var h = (long)(ulong)(coefficient % Modulus * scale % Modulus);
        return Fix(negative ? -h : h);
    }

    public static long FromComplex(double real, double imaginary)
    {
        unchecked
        {
            var h = (ulong)FromDouble(real) + ((ulong)ComplexImag * (ulong)FromDouble(imaginary));
            return Fix((long)h);
        }
    }

    public static int Fold(long hash) => (int)hash ^ (int)(hash >> 32);

    private static long Fix(long h) => h == -1 ? -2 : h;
}
