using System.Buffers.Binary;
using System.Numerics;

namespace Multiprocess.Connection;

/// <summary>
/// HMAC-MD5 and HMAC-SHA256 (RFC 2104, RFC 1321, FIPS 180-4) in C#, for the authkey handshake: the digests of CPython
/// 3.8–3.11 (raw md5) and 3.12+ (<c>{sha256}</c>). .NET on Linux computes them with OpenSSL, whose first use loads
/// and configures libssl and libcrypto: in a fresh manager server that cost more than the rest of its start, and a
/// handshake hashes under 100 bytes. The other digests (sha384, sha3) keep OpenSSL. Checked against .NET's
/// (OpenSSL) results and the RFC 2202/4231 vectors in the tests.
/// </summary>
internal static class ManagedHmac
{
    private const int BlockSize = 64;

    private static readonly uint[] Sha256K =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private static readonly uint[] Md5K = MakeMd5K();

    private static readonly int[] Md5Shift =
    [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    public static byte[] HmacMd5(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => Hmac(key, data, Md5);

    public static byte[] HmacSha256(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => Hmac(key, data, Sha256);

    public static byte[] Md5(ReadOnlySpan<byte> data)
    {
        uint a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
        var padded = Pad(data, bigEndian: false);
        Span<uint> m = stackalloc uint[16];
        for (var block = 0; block < padded.Length; block += BlockSize)
        {
            for (var i = 0; i < 16; i++)
            {
                m[i] = BinaryPrimitives.ReadUInt32LittleEndian(padded.AsSpan(block + (4 * i)));
            }

            uint a = a0, b = b0, c = c0, d = d0;
            for (var i = 0; i < 64; i++)
            {
                uint f;
                int g;
                switch (i >> 4)
                {
                    case 0: f = (b & c) | (~b & d); g = i; break;
                    case 1: f = (d & b) | (~d & c); g = ((5 * i) + 1) & 15; break;
                    case 2: f = b ^ c ^ d; g = ((3 * i) + 5) & 15; break;
                    default: f = c ^ (b | ~d); g = (7 * i) & 15; break;
                }

                f += a + Md5K[i] + m[g];
                a = d;
                d = c;
                c = b;
                b += BitOperations.RotateLeft(f, Md5Shift[i]);
            }

            a0 += a;
            b0 += b;
            c0 += c;
            d0 += d;
        }

        var digest = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(digest, a0);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(4), b0);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(8), c0);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(12), d0);
        return digest;
    }

    public static byte[] Sha256(ReadOnlySpan<byte> data)
    {
        Span<uint> h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        var padded = Pad(data, bigEndian: true);
        Span<uint> w = stackalloc uint[64];
        for (var block = 0; block < padded.Length; block += BlockSize)
        {
            for (var i = 0; i < 16; i++)
            {
                w[i] = BinaryPrimitives.ReadUInt32BigEndian(padded.AsSpan(block + (4 * i)));
            }

            for (var i = 16; i < 64; i++)
            {
                var s0 = BitOperations.RotateRight(w[i - 15], 7) ^ BitOperations.RotateRight(w[i - 15], 18) ^ (w[i - 15] >> 3);
                var s1 = BitOperations.RotateRight(w[i - 2], 17) ^ BitOperations.RotateRight(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
            }

            uint a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
            for (var i = 0; i < 64; i++)
            {
                var s1 = BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25);
                var ch = (e & f) ^ (~e & g);
                var t1 = hh + s1 + ch + Sha256K[i] + w[i];
                var s0 = BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22);
                var maj = (a & b) ^ (a & c) ^ (b & c);
                var t2 = s0 + maj;
                hh = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
            }

            h[0] += a;
            h[1] += b;
            h[2] += c;
            h[3] += d;
            h[4] += e;
            h[5] += f;
            h[6] += g;
            h[7] += hh;
        }

        var digest = new byte[32];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest.AsSpan(4 * i), h[i]);
        }

        return digest;
    }

    private delegate byte[] HashFunction(ReadOnlySpan<byte> data);

    /// <summary>RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K hashed first when longer than a block.</summary>
    private static byte[] Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, HashFunction hash)
    {
        var k = new byte[BlockSize];
        (key.Length > BlockSize ? hash(key) : key.ToArray()).CopyTo(k, 0);
        var inner = new byte[BlockSize + data.Length];
        var outer = new byte[BlockSize + 32];
        for (var i = 0; i < BlockSize; i++)
        {
            inner[i] = (byte)(k[i] ^ 0x36);
            outer[i] = (byte)(k[i] ^ 0x5c);
        }

        data.CopyTo(inner.AsSpan(BlockSize));
        var innerHash = hash(inner);
        innerHash.CopyTo(outer, BlockSize);
        return hash(outer.AsSpan(0, BlockSize + innerHash.Length));
    }

    /// <summary>The message, 0x80, zeros up to 56 mod 64, the bit length in 8 bytes (MD5 little-, SHA-2 big-endian).</summary>
    private static byte[] Pad(ReadOnlySpan<byte> data, bool bigEndian)
    {
        var length = ((data.Length + 8) / BlockSize * BlockSize) + BlockSize;
        var padded = new byte[length];
        data.CopyTo(padded);
        padded[data.Length] = 0x80;
        var bits = (ulong)data.Length * 8;
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt64BigEndian(padded.AsSpan(length - 8), bits);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(padded.AsSpan(length - 8), bits);
        }

        return padded;
    }

    /// <summary>RFC 1321: K[i] = floor(|sin(i + 1)| · 2^32).</summary>
    private static uint[] MakeMd5K()
    {
        var k = new uint[64];
        for (var i = 0; i < 64; i++)
        {
            k[i] = (uint)(long)Math.Floor(Math.Abs(Math.Sin(i + 1)) * 4294967296.0);
        }

        return k;
    }
}
