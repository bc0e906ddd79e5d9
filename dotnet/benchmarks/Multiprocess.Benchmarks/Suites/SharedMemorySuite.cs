using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.ResourceTracking;
using Multiprocess.Shm;
using Multiprocess.TestUtilities;
using SyncLock = Multiprocess.Synchronize.Lock;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>shm</c>: bulk transfer through a segment (C# spans vs CPython memoryview slices vs a plain memcpy between two
/// private buffers, the limit), segment create+attach+unlink, and Lock acquire/release uncontended and contended by
/// two threads, C# vs CPython. Goals: bulk within 1.2× of memcpy; ahead of CPython on every row.
/// </summary>
public sealed class SharedMemorySuite : IBenchmarkSuite
{
    private const string Memcpy = "memcpy (private buffers)";
    private const string CSharp = "C#";

    /// <inheritdoc/>
    public string Name => "shm";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        ResourceTracker.Default.Launcher = ResourceTrackerLauncher.Engine(EngineCommands.Cli);
        var size = context.Smoke ? 1 << 20 : 256 << 20;
        var mib = size >> 20;
        var python = $"CPython {context.PythonVersion}";

        var rows = new List<ResultRow>();
        rows.AddRange(Bulk(context, size, mib, python));
        rows.Add(Row("create+attach+unlink 4 KiB", CSharp, python, Sampler.Measure(CreateAttachUnlink, context.Ops(500), context.Samples(7))));
        rows.AddRange(Locks(context, python));

        foreach (var (c, impl, stats) in PythonPeer.Run(
                     context, "bench_shm.py", [size.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(5)))
        {
            rows.Add(ResultRow.From(Name, c, impl, stats, c.StartsWith("write", StringComparison.Ordinal) || c.StartsWith("read", StringComparison.Ordinal) ? size : 0));
        }

        // Bulk rows: the note says how far from memcpy each is.
        foreach (var row in rows.Where(r => r.BytesPerOp > 0 && r.Implementation != Memcpy))
        {
            var limit = rows.First(r => r.Case == row.Case && r.Implementation == Memcpy);
            row.Note = string.Create(CultureInfo.InvariantCulture, $"{row.MedianNs / limit.MedianNs:F2}x memcpy time");
        }

        return rows;
    }

    private static unsafe IEnumerable<ResultRow> Bulk(BenchContext context, int size, int mib, string python)
    {
        var src = (byte*)NativeMemory.Alloc((nuint)size);
        var dst = (byte*)NativeMemory.Alloc((nuint)size);
        using var shm = SharedMemory.Create(size);
        try
        {
            // Warm every page of all three buffers: page faults are not what is measured.
            new Span<byte>(src, size).Fill(0xab);
            new Span<byte>(dst, size).Clear();
            shm.Span.Clear();
            var samples = context.Samples(9);

            // Each segment copy is measured right after its limit, so both see the same machine load.
            var memcpyWrite = Sampler.Measure(_ => Buffer.MemoryCopy(src, dst, size, size), 1, samples);
            var write = Sampler.Measure(_ => new ReadOnlySpan<byte>(src, size).CopyTo(shm.Span), 1, samples);
            var memcpyRead = Sampler.Measure(_ => Buffer.MemoryCopy(src, dst, size, size), 1, samples);
            var read = Sampler.Measure(_ => shm.Span.CopyTo(new Span<byte>(dst, size)), 1, samples);
            return
            [
                Row($"write {mib} MiB", Memcpy, "", memcpyWrite, size),
                Row($"write {mib} MiB", CSharp, python, write, size),
                Row($"read {mib} MiB", Memcpy, "", memcpyRead, size),
                Row($"read {mib} MiB", CSharp, python, read, size),
            ];
        }
        finally
        {
            shm.Close();
            shm.Unlink();
            NativeMemory.Free(src);
            NativeMemory.Free(dst);
        }
    }

    private static void CreateAttachUnlink()
    {
        // CPython's sequence, tracked the same way: create (REGISTER), attach (REGISTER), close both, unlink (UNREGISTER).
        using var a = SharedMemory.Create(4096);
        using var b = SharedMemory.Attach(a.Name);
        b.Close();
        a.Close();
        a.Unlink();
    }

    private static IEnumerable<ResultRow> Locks(BenchContext context, string python)
    {
        using var lk = new SyncLock();
        var uncontended = Sampler.Measure(
            n =>
            {
                for (long i = 0; i < n; i++)
                {
                    lk.Acquire();
                    lk.Release();
                }
            },
            context.Ops(200_000),
            context.Samples(7));

        var contended = Sampler.Measure(
            n =>
            {
                // Two threads on one Lock; n operations in total, as in the Python script.
                var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
                {
                    for (long i = 0; i < n / 2; i++)
                    {
                        lk.Acquire();
                        lk.Release();
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
            },
            context.Ops(100_000),
            context.Samples(7));

        return
        [
            Row("Lock acquire+release", CSharp, python, uncontended),
            Row("Lock acquire+release, 2 threads", CSharp, python, contended),
        ];
    }

    private static ResultRow Row(string @case, string impl, string baseline, Stats stats, long bytes = 0)
    {
        var row = ResultRow.From("shm", @case, impl, stats, bytes);
        row.Baseline = baseline;
        return row;
    }
}
