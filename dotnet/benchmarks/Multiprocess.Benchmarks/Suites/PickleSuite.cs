using System.Globalization;
using System.Runtime.InteropServices;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Pickle;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>pickle</c>: dumps and loads of the same payloads by this codec, CPython's C pickler (python/bench_pickle.py
/// times its own loop) and Razorvine.Pickle, side by side. Ratios are against CPython; the C# rows' notes give the
/// factor over Razorvine. Razorvine writes protocol 2 only and has no out-of-band buffers.
/// </summary>
public sealed class PickleSuite : IBenchmarkSuite
{
    private const string CSharp = "C# Multiprocess.Pickle";
    private const string Razorvine = "Razorvine.Pickle 1.5.0";

    /// <inheritdoc/>
    public string Name => "pickle";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        var cpython = "CPython " + context.PythonVersion;
        var peer = PythonPeer.Run(context, "bench_pickle.py", [], TimeSpan.FromMinutes(10));
        var rows = peer.Select(p => Row(p.Case, p.Impl, p.Stats, cpython)).ToList();

        foreach (var (name, value, ops) in Payloads())
        {
            var pickled = PickleSerializer.Dumps(value);
            rows.Add(Row("dumps " + name, CSharp, Sampler.Measure(() => PickleSerializer.Dumps(value), context.Ops(ops), context.Samples(15)), cpython));
            rows.Add(Row("loads " + name, CSharp, Sampler.Measure(() => PickleSerializer.Loads(pickled), context.Ops(ops), context.Samples(15)), cpython));

            var rv = ToRazorvine(value);
            rows.Add(Row("dumps " + name, Razorvine, Sampler.Measure(() =>
            {
                using var p = new Razorvine.Pickle.Pickler(true);
                p.dumps(rv);
            }, context.Ops(ops), context.Samples(15)), cpython));
            rows.Add(Row("loads " + name, Razorvine, Sampler.Measure(() =>
            {
                using var u = new Razorvine.Pickle.Unpickler();
                u.loads(pickled);
            }, context.Ops(ops), context.Samples(15)), cpython));
        }

        // 64 MiB bytearray out of band: the pickle is NEXT_BUFFER only; the memory is handed over, never copied.
        var big = new PickleBuffer(new byte[64 * 1024 * 1024].AsMemory());
        var sent = new List<PickleBuffer>();
        var oob = PickleSerializer.Dumps(big, new PickleOptions { Protocol = 5, BufferCallback = b => { sent.Add(b); return false; } });
        var back = (PickleBuffer)PickleSerializer.Loads(oob, new UnpickleOptions { Buffers = sent })!;
        var zeroCopy = MemoryMarshal.TryGetArray(back.Memory, out var seg) && MemoryMarshal.TryGetArray(big.Memory, out var orig) && ReferenceEquals(seg.Array, orig.Array);
        var dumpOptions = new PickleOptions { Protocol = 5, BufferCallback = _ => false };
        var loadOptions = new UnpickleOptions { Buffers = sent };
        rows.Add(Row("dumps bytearray_64MiB_out_of_band", CSharp, Sampler.Measure(() => PickleSerializer.Dumps(big, dumpOptions), context.Ops(100_000), context.Samples(15)), cpython, zeroCopy ? "no copy (same array)" : "COPIED"));
        rows.Add(Row("loads bytearray_64MiB_out_of_band", CSharp, Sampler.Measure(() => PickleSerializer.Loads(oob, loadOptions), context.Ops(100_000), context.Samples(15)), cpython, zeroCopy ? "no copy (same array)" : "COPIED"));

        foreach (var row in rows.Where(r => r.Implementation == CSharp))
        {
            var other = rows.FirstOrDefault(r => r.Case == row.Case && r.Implementation == Razorvine);
            if (other is not null)
            {
                var factor = other.MedianNs / row.MedianNs;
                row.Note = (row.Note.Length > 0 ? row.Note + "; " : "") + string.Create(CultureInfo.InvariantCulture, $"{factor:F2}x Razorvine");
            }
        }

        return rows;
    }

    private static ResultRow Row(string @case, string impl, Stats stats, string baseline, string note = "")
    {
        var row = ResultRow.From("pickle", @case, impl, stats);
        row.Baseline = baseline;
        row.Note = note;
        return row;
    }

    private static IEnumerable<(string Name, object? Value, long Ops)> Payloads()
    {
        yield return ("list_10k_small_ints", Enumerable.Range(0, 10_000).Select(i => (object?)(long)i).ToList(), 300);
        var dict = new PyDict(1000);
        for (var i = 0; i < 1000; i++)
        {
            dict["key" + i.ToString(CultureInfo.InvariantCulture)] = i * 0.5;
        }

        yield return ("dict_1k_str_float", dict, 1_000);
        yield return ("list_1k_int_str_float_tuples", Enumerable.Range(0, 1000).Select(i => (object?)PyTuple.Create((long)i, "s" + i.ToString(CultureInfo.InvariantCulture), i * 1.5)).ToList(), 300);
        yield return ("bytes_1MiB", new byte[1024 * 1024], 1_000);
        yield return ("manager_request", PyTuple.Create(null, "create", PyTuple.Create("dict"), new PyDict()), 200_000);
    }

    private static object? ToRazorvine(object? v) => v switch
    {
        PyTuple t => t.ToArray().Select(ToRazorvine).ToArray(),
        List<object?> l => new System.Collections.ArrayList(l.Select(ToRazorvine).ToList()),
        PyDict d => d.ToDictionary(kv => ToRazorvine(kv.Key)!, kv => ToRazorvine(kv.Value)),
        _ => v,
    };
}
