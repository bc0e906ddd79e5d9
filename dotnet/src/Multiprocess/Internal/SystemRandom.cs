using System.Runtime.InteropServices;

namespace Multiprocess.Internal;

/// <summary>
/// Cryptographically secure random bytes from the kernel, getrandom(2), as CPython's <c>os.urandom</c> reads them.
/// Not <c>RandomNumberGenerator</c>: on Linux it initializes OpenSSL (dlopen of libssl and libcrypto, their
/// configuration), which cost more than the rest of a manager server's start in a fresh process (docs/native.md).
/// </summary>
internal static unsafe partial class SystemRandom
{
    private const int EINTR = 4;

    [LibraryImport(LibcShm.Libc, EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint GetRandom(byte* buffer, nuint length, uint flags);

    /// <summary>Fills <paramref name="buffer"/>.</summary>
    /// <exception cref="IOException">getrandom failed (not EINTR); the message has the errno.</exception>
    public static void Fill(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var n = GetRandom(start + done, (nuint)(buffer.Length - done), 0);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"getrandom({buffer.Length - done} bytes) failed: errno {errno}");
                }

                done += (int)n;
            }
        }
    }

    public static byte[] GetBytes(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }

    /// <summary><paramref name="length"/> characters drawn uniformly from <paramref name="characters"/> (rejection sampling: no modulo bias).</summary>
    public static string GetString(string characters, int length)
    {
        var limit = 256 - (256 % characters.Length);
        Span<char> chars = stackalloc char[length];
        Span<byte> one = stackalloc byte[1];
        for (var i = 0; i < length;)
        {
            Fill(one);
            if (one[0] < limit)
            {
                chars[i++] = characters[one[0] % characters.Length];
            }
        }

        return new string(chars);
    }
}
