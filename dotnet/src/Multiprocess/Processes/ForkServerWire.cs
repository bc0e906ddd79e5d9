using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.Processes;

/// <summary>
/// What travels between a client and CPython's forkserver (<c>Lib/multiprocessing/forkserver.py</c>; docs/forkserver.md):
/// the <c>-c</c> program that starts the server, the fds of a request in <c>connect_to_new_process</c>'s order, and
/// the signed numbers (<c>SIGNED_STRUCT = struct.Struct('q')</c>: 8 bytes, native order) on the status pipe.
/// </summary>
internal static class ForkServerWire
{
    /// <summary>forkserver.MAXFDS_TO_SEND: a request carries fewer than this many fds, the four fixed ones included.</summary>
    public const int MaxFdsToSend = 256;

    /// <summary>forkserver._AUTHKEY_LEN (3.14+): the key the server reads from <c>authkey_r</c>.</summary>
    public const int AuthKeyLength = 32;

    /// <summary>The size of one signed number on the status pipe (<c>struct.calcsize('q')</c>).</summary>
    public const int SignedSize = 8;

    /// <summary>The <c>-c</c> program of <c>ForkServer.ensure_running</c>:
    /// <c>from P.forkserver import main; main(L, A, [preload], **{'sys_path': [...], 'authkey_r': K})</c>, values
    /// written as Python's <c>%d</c> and <c>%r</c> write them. <c>sys_path</c> goes only with a preload list (as in
    /// CPython, where it comes from the preparation data only then); <c>authkey_r</c> only when the server
    /// authenticates its clients (CPython 3.14+, <c>multiprocess</c> 0.70.18+). 3.14's <c>sys_argv=sys.argv[1:]</c>
    /// is left out: a C# parent has no <c>sys.argv</c> to hand down, and 3.14.0's <c>main</c> does not take it.</summary>
    public static string MainProgram(string package, int listenerFd, int aliveRead, IReadOnlyList<string> preload, IReadOnlyList<string>? sysPath, int? authKeyRead)
    {
        var kwargs = new StringBuilder("{");
        if (preload.Count > 0 && sysPath is not null)
        {
            kwargs.Append("'sys_path': ").Append(PyRepr.Repr(sysPath.Cast<object?>().ToList()));
        }

        if (authKeyRead is { } k)
        {
            kwargs.Append(kwargs.Length > 1 ? ", " : "").Append("'authkey_r': ").Append(k.ToString(CultureInfo.InvariantCulture));
        }

        kwargs.Append('}');
        return string.Create(
            CultureInfo.InvariantCulture,
            $"from {package}.forkserver import main; main({listenerFd}, {aliveRead}, {PyRepr.Repr(preload.Cast<object?>().ToList())}, **{kwargs})");
    }

    /// <summary>connect_to_new_process's <c>allfds</c>: <c>[child_r, child_w, alive_w, tracker_fd, *fds]</c>. The
    /// server keeps <c>child_r</c> and <c>child_w</c>; the child gets the rest as its forkserver alive fd, its
    /// resource tracker fd and <c>get_inherited_fds()</c> (what <c>popen_forkserver._DupFd(ind)</c> indexes).</summary>
    /// <exception cref="ArgumentException">Too many fds (CPython's <c>ValueError('too many fds')</c>).</exception>
    public static int[] RequestFds(int childRead, int childWrite, int aliveWrite, int trackerFd, IReadOnlyList<int> fds)
    {
        if (fds.Count + 4 >= MaxFdsToSend)
        {
            throw new ArgumentException($"too many fds for one forkserver request: {fds.Count} + 4 (at most {MaxFdsToSend - 1} in all)", nameof(fds));
        }

        return [childRead, childWrite, aliveWrite, trackerFd, .. fds];
    }

    /// <summary>forkserver.write_signed's bytes.</summary>
    public static byte[] EncodeSigned(long value)
    {
        var bytes = new byte[SignedSize];
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        }

        return bytes;
    }

    /// <summary>forkserver.read_signed's value of 8 bytes.</summary>
    public static long DecodeSigned(ReadOnlySpan<byte> bytes) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : BinaryPrimitives.ReadInt64BigEndian(bytes);

    /// <summary>forkserver.read_signed: blocks for 8 bytes; null at end of stream before the first byte (the server
    /// closed the pipe: CPython's EOFError).</summary>
    /// <exception cref="IOException">The stream ended inside the number, or read(2) failed.</exception>
    public static unsafe long? ReadSigned(int fd)
    {
        Span<byte> buffer = stackalloc byte[SignedSize];
        var have = 0;
        fixed (byte* p = buffer)
        {
            while (have < SignedSize)
            {
                var n = LibcPipe.Read(fd, p + have, (nuint)(SignedSize - have));
                if (n > 0)
                {
                    have += (int)n;
                }
                else if (n == 0)
                {
                    return have == 0
                        ? null
                        : throw new IOException($"the forkserver's status pipe (fd {fd}) ended after {have} of the {SignedSize} bytes of a number");
                }
                else if (Marshal.GetLastPInvokeError() != Errno.EINTR)
                {
                    throw ThrowHelper.Errno($"read of the forkserver's status pipe (fd {fd})", Marshal.GetLastPInvokeError());
                }
            }
        }

        return DecodeSigned(buffer);
    }
}
