using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Multiprocess.Pickle.Internal;

/// <summary>
/// The hash behind dict and set keys: consistent with Python's <c>==</c> across numeric types (1, 1.0, True,
/// <c>Decimal('1.0')</c> and 1+0j hash alike) and keyed per process, so that no key set chosen by a peer can make
/// the table degrade (hash flooding). See docs/hashing.md.
/// </summary>
/// <remarks>
/// CPython reduces every number modulo the public Mersenne prime 2**61 − 1 (Python/pyhash.c), which keeps equal
/// numbers together but lets anyone pick distinct ints with one hash (i * (2**61 − 1)). This reduces modulo a prime
/// <see cref="Q"/> drawn at random when the process starts, the same field arithmetic with a secret modulus: equal
/// values still have equal residues (integers, binary fractions and decimal fractions are all rationals whose
/// denominators, powers of 2 and 5, are invertible modulo Q), while distinct values share one only when Q divides
/// their difference, which a peer cannot arrange without knowing Q. The residue then goes through SipHash-1-3 with a
/// random 128-bit key, so its bucket is unpredictable too. Bytes use SipHash-1-3 directly; str keeps .NET's own
/// randomized (Marvin) string hash. A NaN hashes by identity, as in CPython 3.10 and later.
/// </remarks>
internal static class PyHash
{
    /// <summary>Stands in for the residues of ±infinity (outside [0, Q), so no finite value shares them).</summary>
    private const ulong PositiveInfinity = ulong.MaxValue;
    private const ulong NegativeInfinity = ulong.MaxValue - 1;

    /// <summary>The lowest binary exponent of a double's lowest mantissa bit (subnormals: 2**-1074).</summary>
    private const int MinBinaryExponent = -1074;

    private static readonly ulong s_k0;
    private static readonly ulong s_k1;

    // 2**k mod Q for k in [-1074, 971]: the exponents a finite double's mantissa can be scaled by.
    private static readonly ulong[] s_pow2;
    private static readonly ulong s_inverse10;

#pragma warning disable CA1810 // the fields depend on each other and on one random draw: one static constructor says so
    static PyHash()
#pragma warning restore CA1810
    {
        Span<byte> key = stackalloc byte[16];
        FillRandom(key);
        s_k0 = BinaryPrimitives.ReadUInt64LittleEndian(key);
        s_k1 = BinaryPrimitives.ReadUInt64LittleEndian(key[8..]);
        Q = RandomPrime();
        s_inverse10 = PowMod(10, Q - 2);
        s_pow2 = new ulong[971 - MinBinaryExponent + 1];
        var zero = -MinBinaryExponent;
        s_pow2[zero] = 1;
        for (var k = zero + 1; k < s_pow2.Length; k++)
        {
            var x = s_pow2[k - 1] << 1; // < 2**63: Q < 2**62
            s_pow2[k] = x >= Q ? x - Q : x;
        }

        for (var k = zero - 1; k >= 0; k--)
        {
            var x = s_pow2[k + 1]; // halving modulo an odd Q
            s_pow2[k] = (x & 1) == 0 ? x >> 1 : (x >> 1) + (Q >> 1) + 1;
        }
    }

    /// <summary>Gets this process's secret prime modulus, in [2**61, 2**62).</summary>
    internal static ulong Q { get; }

    public static int FromInt64(long value) => Mix(ResidueOf(value));

    public static int FromBigInteger(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? FromInt64((long)value) : Mix(ResidueOf(value));

    /// <summary>Hashes a double; <paramref name="box"/> is the object a NaN is identified by.</summary>
    public static int FromDouble(double value, object box) =>
        double.IsNaN(value) ? RuntimeHelpers.GetHashCode(box) : Mix(ResidueOf(value));

    /// <summary>Hashes a complex number: as its real part when the imaginary part is zero (then they are equal).</summary>
    public static int FromComplex(Complex value, object box)
    {
        if (double.IsNaN(value.Real) || double.IsNaN(value.Imaginary))
        {
            return RuntimeHelpers.GetHashCode(box);
        }

        return value.Imaginary == 0 ? Mix(ResidueOf(value.Real)) : Mix(ResidueOf(value.Real), ResidueOf(value.Imaginary));
    }

    /// <summary>Hashes a finite or infinite decimal (the caller handles NaNs) as the number it denotes.</summary>
    public static int FromDecimal(PyDecimal value)
    {
        if (value.Kind == PyDecimalKind.Infinity)
        {
            return Mix(value.IsNegative ? NegativeInfinity : PositiveInfinity);
        }

        var coefficient = (ulong)(value.Coefficient % Q);
        var scale = value.Exponent >= 0 ? PowMod(10, (ulong)value.Exponent) : PowMod(s_inverse10, (ulong)-(long)value.Exponent);
        var r = MulMod(coefficient, scale);
        return Mix(value.IsNegative ? Negate(r) : r);
    }

    public static int FromBytes(ReadOnlySpan<byte> bytes)
    {
        var h = SipHash13(bytes);
        return (int)h ^ (int)(h >> 32);
    }

    /// <summary>Hashes a 64-bit value that identifies a key of its type exactly (ticks of a datetime...).</summary>
    public static int FromBits(long bits) => Mix((ulong)bits);

    internal static ulong ResidueOf(long value)
    {
        if (value >= 0)
        {
            return (ulong)value < Q ? (ulong)value : (ulong)value % Q;
        }

        var magnitude = (ulong)(-(value + 1)) + 1; // long.MinValue too
        return Negate(magnitude < Q ? magnitude : magnitude % Q);
    }

    internal static ulong ResidueOf(BigInteger value)
    {
        var magnitude = BigInteger.Abs(value);
        var r = magnitude.GetBitLength() <= 128 ? (ulong)((UInt128)magnitude % Q) : (ulong)(magnitude % Q);
        return value.Sign < 0 ? Negate(r) : r;
    }

    internal static ulong ResidueOf(double value)
    {
        if (double.IsInfinity(value))
        {
            return value > 0 ? PositiveInfinity : NegativeInfinity;
        }

        // Whole numbers below 2**61 (the common float keys) take the int path: the same residue, no table.
        if (Math.Abs(value) < 2305843009213693952.0 /* 2**61 */ && value == Math.Floor(value))
        {
            return ResidueOf((long)value);
        }

        var bits = BitConverter.DoubleToInt64Bits(value);
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

        // |value| = mantissa * 2**(exponent − 1075); mantissa < 2**53 < Q.
        var r = MulMod(mantissa, s_pow2[exponent - 1075 - MinBinaryExponent]);
        return bits < 0 ? Negate(r) : r;
    }

    private static ulong Negate(ulong r) => r == 0 ? 0 : Q - r;

    private static ulong MulMod(ulong a, ulong b) => (ulong)((UInt128)a * b % Q);

    private static ulong PowMod(ulong b, ulong e) => PowMod(b, e, Q);

    private static ulong PowMod(ulong b, ulong e, ulong m)
    {
        var result = 1UL % m;
        b %= m;
        while (e != 0)
        {
            if ((e & 1) != 0)
            {
                result = (ulong)((UInt128)result * b % m);
            }

            b = (ulong)((UInt128)b * b % m);
            e >>= 1;
        }

        return result;
    }

    /// <summary>
    /// Secure random bytes: the kernel's (/dev/urandom, what CPython's hash secret is drawn from) where it exists.
    /// Not RandomNumberGenerator first: on Linux its first use loads and configures OpenSSL, which cost more than the
    /// rest of a manager server's start in a fresh process (docs/native.md).
    /// </summary>
    private static void FillRandom(Span<byte> buffer)
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                using var urandom = new FileStream("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
                urandom.ReadExactly(buffer);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No /dev/urandom (a sandbox): the platform's generator.
            }
        }

        RandomNumberGenerator.Fill(buffer);
    }

    /// <summary>A random prime in [2**61, 2**62): Miller–Rabin with the bases that are exact below 2**64.</summary>
    private static ulong RandomPrime()
    {
        ReadOnlySpan<ulong> bases = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
        Span<byte> draw = stackalloc byte[8];
        while (true)
        {
            FillRandom(draw);
            var n = (BinaryPrimitives.ReadUInt64LittleEndian(draw) & ((1UL << 61) - 1)) | (1UL << 61) | 1;
            if (IsProbablePrime(n, bases))
            {
                return n;
            }
        }
    }

    private static bool IsProbablePrime(ulong n, ReadOnlySpan<ulong> bases)
    {
        foreach (var p in bases)
        {
            if (n % p == 0)
            {
                return false;
            }
        }

        var d = n - 1;
        var s = BitOperations.TrailingZeroCount(d);
        d >>= s;
        foreach (var a in bases)
        {
            var x = PowMod(a, d, n);
            if (x == 1 || x == n - 1)
            {
                continue;
            }

            var composite = true;
            for (var i = 1; i < s && composite; i++)
            {
                x = (ulong)((UInt128)x * x % n);
                composite = x != n - 1;
            }

            if (composite)
            {
                return false;
            }
        }

        return true;
    }

    private static int Mix(ulong word)
    {
        var v0 = s_k0 ^ 0x736f6d6570736575UL;
        var v1 = s_k1 ^ 0x646f72616e646f6dUL;
        var v2 = s_k0 ^ 0x6c7967656e657261UL;
        var v3 = s_k1 ^ 0x7465646279746573UL;
        Compress(ref v0, ref v1, ref v2, ref v3, word);
        var h = Finish(ref v0, ref v1, ref v2, ref v3, 8UL << 56);
        return (int)h ^ (int)(h >> 32);
    }

    private static int Mix(ulong first, ulong second)
    {
        var v0 = s_k0 ^ 0x736f6d6570736575UL;
        var v1 = s_k1 ^ 0x646f72616e646f6dUL;
        var v2 = s_k0 ^ 0x6c7967656e657261UL;
        var v3 = s_k1 ^ 0x7465646279746573UL;
        Compress(ref v0, ref v1, ref v2, ref v3, first);
        Compress(ref v0, ref v1, ref v2, ref v3, second);
        var h = Finish(ref v0, ref v1, ref v2, ref v3, 16UL << 56);
        return (int)h ^ (int)(h >> 32);
    }

    /// <summary>SipHash-1-3 (the variant CPython uses for str since 3.11) of a byte string under the process key.</summary>
    private static ulong SipHash13(ReadOnlySpan<byte> data)
    {
        var v0 = s_k0 ^ 0x736f6d6570736575UL;
        var v1 = s_k1 ^ 0x646f72616e646f6dUL;
        var v2 = s_k0 ^ 0x6c7967656e657261UL;
        var v3 = s_k1 ^ 0x7465646279746573UL;
        var length = data.Length;
        while (data.Length >= 8)
        {
            Compress(ref v0, ref v1, ref v2, ref v3, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        var last = (ulong)(uint)length << 56;
        for (var i = 0; i < data.Length; i++)
        {
            last |= (ulong)data[i] << (8 * i);
        }

        return Finish(ref v0, ref v1, ref v2, ref v3, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compress(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3, ulong m)
    {
        v3 ^= m;
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Finish(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3, ulong last)
    {
        Compress(ref v0, ref v1, ref v2, ref v3, last);
        v2 ^= 0xff;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
