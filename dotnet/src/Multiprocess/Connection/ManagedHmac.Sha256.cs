using System.Buffers.Binary;
using System.Numerics;

namespace Multiprocess.Connection;

/// <summary>
/// HMAC-SHA256, the digest of every 3.12+ handshake: the two blocks that depend only on the key (K ^ ipad, K ^ opad)
/// are compressed once per key and kept (<see cref="Sha256Pads"/>), so a MAC over a 48-byte challenge costs two
/// compressions instead of four, and the compression indexes through pointers (no bounds checks, the round constants
/// in the assembly's data, not a static array behind a class-init check).
/// </summary>
internal static unsafe partial class ManagedHmac
{
    private const int Sha256DigestLength = 32;

    private static Sha256Pads? s_lastPads;

    private static ReadOnlySpan<uint> Sha256K =>
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

    private static ReadOnlySpan<uint> Sha256Initial => [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    /// <summary>HMAC-SHA256 (RFC 2104, FIPS 180-4).</summary>
    public static byte[] HmacSha256(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var pads = Sha256Pads.For(key);
        Span<uint> state = stackalloc uint[8];
        Span<byte> inner = stackalloc byte[Sha256DigestLength];
        pads.Inner.CopyTo(state);
        Sha256Finish(state, data, BlockSize, inner);
        pads.Outer.CopyTo(state);
        var mac = new byte[Sha256DigestLength];
        Sha256Finish(state, inner, BlockSize, mac);
        return mac;
    }

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static byte[] Sha256(ReadOnlySpan<byte> data)
    {
        Span<uint> state = stackalloc uint[8];
        Sha256Initial.CopyTo(state);
        var digest = new byte[Sha256DigestLength];
        Sha256Finish(state, data, 0, digest);
        return digest;
    }

    /// <summary>
    /// Hashes the rest of a message whose first <paramref name="before"/> bytes (whole blocks) are in
    /// <paramref name="state"/>: <paramref name="data"/>'s blocks, then the padding, into <paramref name="digest"/>.
    /// </summary>
    private static void Sha256Finish(Span<uint> state, ReadOnlySpan<byte> data, long before, Span<byte> digest)
    {
        var bits = (ulong)(before + data.Length) * 8;
        while (data.Length >= BlockSize)
        {
            Sha256Compress(state, data);
            data = data[BlockSize..];
        }

        // The tail, 0x80, zeros up to 56 mod 64, the bit length big-endian: one block, or two when the tail is 56+ bytes.
        Span<byte> last = stackalloc byte[2 * BlockSize];
        last.Clear();
        data.CopyTo(last);
        last[data.Length] = 0x80;
        var length = data.Length + 9 <= BlockSize ? BlockSize : 2 * BlockSize;
        BinaryPrimitives.WriteUInt64BigEndian(last[(length - 8)..], bits);
        Sha256Compress(state, last);
        if (length > BlockSize)
        {
            Sha256Compress(state, last[BlockSize..]);
        }

        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest[(4 * i)..], state[i]);
        }
    }

    /// <summary>One SHA-256 compression of the 64-byte block at the start of <paramref name="block"/> into <paramref name="state"/>.</summary>
    private static void Sha256Compress(Span<uint> state, ReadOnlySpan<byte> block)
    {
        var w = stackalloc uint[64];
        fixed (byte* m = block)
        fixed (uint* k = Sha256K)
        fixed (uint* h = state)
        {
            for (var i = 0; i < 16; i++)
            {
                w[i] = BinaryPrimitives.ReverseEndianness(*(uint*)(m + (4 * i)));
            }

            for (var i = 16; i < 64; i++)
            {
                uint x = w[i - 15], y = w[i - 2];
                var s0 = BitOperations.RotateRight(x, 7) ^ BitOperations.RotateRight(x, 18) ^ (x >> 3);
                var s1 = BitOperations.RotateRight(y, 17) ^ BitOperations.RotateRight(y, 19) ^ (y >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
            }

            uint a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
            for (var i = 0; i < 64; i++)
            {
                var s1 = BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25);
                var ch = (e & f) ^ (~e & g);
                var t1 = hh + s1 + ch + k[i] + w[i];
                var s0 = BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22);
                var maj = (a & b) ^ (a & c) ^ (b & c);
                hh = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + s0 + maj;
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
    }

    /// <summary>
    /// A key's two HMAC pad blocks, compressed: the state after K ^ ipad and after K ^ opad. The last key's are kept
    /// (a process handshakes with one authkey, or a few in turn); immutable, so threads share them without a lock.
    /// </summary>
    private sealed class Sha256Pads
    {
        private readonly byte[] _key;

        private Sha256Pads(ReadOnlySpan<byte> key)
        {
            _key = key.ToArray();
            Span<byte> k = stackalloc byte[BlockSize];
            k.Clear();
            if (key.Length > BlockSize)
            {
                Sha256(key).CopyTo(k);
            }
            else
            {
                key.CopyTo(k);
            }

            Span<byte> pad = stackalloc byte[BlockSize];
            Inner = PadState(k, pad, 0x36);
            Outer = PadState(k, pad, 0x5c);
        }

        public uint[] Inner { get; }

        public uint[] Outer { get; }

        public static Sha256Pads For(ReadOnlySpan<byte> key)
        {
            var last = Volatile.Read(ref s_lastPads);
            if (last is not null && key.SequenceEqual(last._key))
            {
                return last;
            }

            var pads = new Sha256Pads(key);
            Volatile.Write(ref s_lastPads, pads);
            return pads;
        }

        private static uint[] PadState(ReadOnlySpan<byte> k, Span<byte> pad, byte with)
        {
            for (var i = 0; i < BlockSize; i++)
            {
                pad[i] = (byte)(k[i] ^ with);
            }

            var state = Sha256Initial.ToArray();
            Sha256Compress(state, pad);
            return state;
        }
    }
}
