using System.Buffers.Binary;
using System.Numerics;

namespace Multiprocess.Connection;

/// <summary>
/// HMAC-MD5 and HMAC-SHA256 (RFC 2104, RFC 1321, FIPS 180-4) in C#, for the authkey handshake: the digests of CPython
/// 3.8–3.11 (raw md5) and 3.12+ (<c>{sha256}</c>). .NET on Linux computes them with OpenSSL, whose first use loads
/// and configures libssl and libcrypto: in a fresh manager server that cost more than the rest of its start, and a
/// handshake hashes under 100 bytes. The other digests (sha384, sha3) keep OpenSSL. Checked against .NET's (OpenSSL)
/// results and the RFC 2202/4231 vectors in the tests. SHA-256 is in ManagedHmac.Sha256.cs.
/// </summary>
internal static unsafe partial class ManagedHmac
{
    private const int BlockSize = 64;

    private static readonly uint[] Md5K = MakeMd5K();

    private static readonly int[] Md5Shift =
    [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    public static byte[] HmacMd5(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => Hmac(key, data, Md5);

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
