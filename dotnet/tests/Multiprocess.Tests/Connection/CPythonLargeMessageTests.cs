using System.Buffers;
using System.Diagnostics;
using Multiprocess.Connection;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// CPython 3.12 sends a frame above 2 GiB (its own <c>send_bytes</c>, 12-byte header) to a C# Listener. The payload
/// is an anonymous mmap (zero pages, so Python need not touch 2 GiB) with marker bytes around the 2 GiB line.
/// The other direction (CPython receiving 2 GiB) takes CPython 10+ s of page faults here: it is left out.
/// </summary>
[TestFixture]
[Category("Large")]
public class CPythonLargeMessageTests
{
    private const string Script = """
        import mmap, sys
        from multiprocessing.connection import Client
        n = int(sys.argv[2])
        c = Client('\0' + sys.argv[1])
        mm = mmap.mmap(-1, n)
        for off, v in ((0, 1), (0x7FFFFFFF, 2), (0x80000000, 3), (n - 1, 4)):
            mm[off] = v
        c.send_bytes(mm)
        c.send_bytes(b'after')
        c.close()
        """;

    [Test]
    public void SendBytes_FromCPython312AboveTwoGiB_ArrivesWithItsMarkers()
    {
        var length = LargeMessageTests.AboveTwoGiB;
        using var listener = new Listener(ConnectionAddress.ArbitraryAbstract());
        var psi = new ProcessStartInfo(PythonInterpreters.Get("3.12")) { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(((UnixAbstractAddress)listener.Address).Name);
        psi.ArgumentList.Add(length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var python = Process.Start(psi)!;
        var stderr = python.StandardError.ReadToEndAsync();
        try
        {
            using var connection = listener.Accept(TimeSpan.FromSeconds(20));
            var sink = new MarkerCheckingWriter(length);

            Assert.That(connection.RecvBytes(sink), Is.EqualTo(length));
            Assert.That(sink.Problems, Is.Empty);
            Assert.That(connection.RecvBytes(), Is.EqualTo("after"u8.ToArray()));
            Assert.That(python.WaitForExit(20_000), Is.True, "python exits");
            Assert.That(python.ExitCode, Is.Zero, () => stderr.Result);
        }
        finally
        {
            if (!python.HasExited)
            {
                python.Kill();
            }
        }
    }

    /// <summary>Expects zeros except 1, 2, 3, 4 at offsets 0, 2^31-1, 2^31 and the end.</summary>
    private sealed class MarkerCheckingWriter(long length) : IBufferWriter<byte>
    {
        private readonly byte[] _buffer = new byte[4 << 20];
        private readonly Dictionary<long, byte> _markers = new() { [0] = 1, [0x7FFFFFFF] = 2, [0x80000000] = 3, [length - 1] = 4 };
        private long _count;

        public List<string> Problems { get; } = [];

        public void Advance(int count)
        {
            var span = _buffer.AsSpan(0, count);
            var start = 0;
            while (start < span.Length)
            {
                var i = span[start..].IndexOfAnyExcept((byte)0);
                if (i < 0)
                {
                    break;
                }

                var offset = _count + start + i;
                if (!_markers.TryGetValue(offset, out var expected) || expected != span[start + i])
                {
                    Problems.Add($"byte {span[start + i]} at offset {offset}");
                }

                start += i + 1;
            }

            foreach (var (offset, value) in _markers)
            {
                if (offset >= _count && offset < _count + count && span[(int)(offset - _count)] != value)
                {
                    Problems.Add($"marker {value} missing at offset {offset}");
                }
            }

            _count += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public Span<byte> GetSpan(int sizeHint = 0) => _buffer;
    }
}
