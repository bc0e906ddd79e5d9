using System.Buffers.Binary;
using System.Diagnostics;
using Multiprocess.TestUtilities;

namespace Multiprocess.Pickle.Tests.Support;

/// <summary>
/// Sends pickles to a real CPython, which loads each one and pickles the result again (protocol given), and returns
/// what it sent back: the "C# → Python → C#" half of the round trips. One process per batch.
/// </summary>
public static class PythonRoundTrip
{
    private const string Script = """
        import pickle, struct, sys
        sys.setrecursionlimit(10000)
        proto = int(sys.argv[1])
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        while True:
            head = inp.read(4)
            if len(head) < 4:
                break
            (n,) = struct.unpack('<I', head)
            data = inp.read(n)
            try:
                obj = pickle.loads(data)
                reply = b'K' + pickle.dumps(obj, proto)
            except Exception as e:
                reply = b'E' + ('%s: %s' % (type(e).__name__, e)).encode()
            out.write(struct.pack('<I', len(reply)) + reply)
            out.flush()
        """;

    public static IReadOnlyList<byte[]> Run(string version, IReadOnlyList<byte[]> pickles, int protocol, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(PythonInterpreters.Get(version))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(protocol.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var writer = Task.Run(() =>
        {
            using var stdin = p.StandardInput.BaseStream;
            Span<byte> head = stackalloc byte[4];
            foreach (var pickle in pickles)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(head, (uint)pickle.Length);
                stdin.Write(head);
                stdin.Write(pickle);
            }
        });
        var results = new List<byte[]>();
        var reader = Task.Run(() =>
        {
            var stdout = p.StandardOutput.BaseStream;
            var head = new byte[4];
            for (var i = 0; i < pickles.Count; i++)
            {
                stdout.ReadExactly(head);
                var body = new byte[BinaryPrimitives.ReadUInt32LittleEndian(head)];
                stdout.ReadExactly(body);
                if (body[0] != (byte)'K')
                {
                    throw new InvalidOperationException($"CPython {version} failed on item {i}: {System.Text.Encoding.UTF8.GetString(body, 1, body.Length - 1)}");
                }

                results.Add(body[1..]);
            }
        });
        if (!Task.WaitAll([writer, reader], timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"CPython {version} round trip did not finish within {timeout}");
        }

        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"CPython {version} exited with {p.ExitCode}: {stderr.Result}");
        }

        return results;
    }
}
