using System.Globalization;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Pickle;
using Multiprocess.Pooling;
using Multiprocess.Processes;
using Multiprocess.Queues;
using Multiprocess.ResourceTracking;
using Multiprocess.TestUtilities;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// <c>process</c>: C# <see cref="Pool.Map"/> vs CPython's <c>Pool.map</c> of the same Python function with the same
/// worker count and chunksize (goal: ≥ 1.0×); Queue throughput C# → Python, Python → C# and 2 C# producer threads →
/// 2 Python consumers vs the same shapes Python → Python; spawn start+join of a no-op child from C# vs from CPython.
/// </summary>
/// <remarks>Both sides use the same round structure (python/bench_process.py): the producers put their share, then
/// one None per consumer; each consumer counts until its None and reports. The 2→2 producers are two threads of the
/// parent on both sides.</remarks>
public sealed class ProcessSuite : IBenchmarkSuite
{
    private const string Module = "bench_process_targets";
    private static readonly PyTuple Item = PyTuple.Create(12345L, "message");

    /// <inheritdoc/>
    public string Name => "process";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        ResourceTracker.Default.Launcher = ResourceTrackerLauncher.Engine(EngineCommands.Cli);
        var python = $"CPython {context.PythonVersion}";
        var options = new PythonProcessOptions { Interpreter = PythonInterpreter.FromPath(context.Python), SysPath = [context.ScriptDirectory] };
        var items = context.Smoke ? 200 : 20_000;
        var messages = context.Smoke ? 100 : 20_000;

        var rows = new List<ResultRow>();
        rows.AddRange(PoolMap(context, options, items, python));
        rows.Add(Row("Queue 1→1 messages", "C# → Python", "Python → Python", Rounds(context, options, 1, 1, messages)));
        rows.Add(Row("Queue 1→1 messages", "Python → C#", "Python → Python", PythonToCSharp(context, options, messages)));
        rows.Add(Row("Queue 2→2 messages", "C# → Python", "Python → Python", Rounds(context, options, 2, 2, messages)));
        rows.Add(Row("process start+join (spawn, no-op target)", "C#", python, Sampler.Measure(
            n =>
            {
                for (long i = 0; i < n; i++)
                {
                    using var p = new PythonProcess($"{Module}:noop", options: options);
                    p.Start();
                    p.Join();
                }
            },
            context.Ops(5),
            context.Samples(7))));

        var args = new[] { items.ToString(CultureInfo.InvariantCulture), messages.ToString(CultureInfo.InvariantCulture) };
        foreach (var (c, impl, stats) in PythonPeer.Run(context, "bench_process.py", args, TimeSpan.FromMinutes(10)))
        {
            rows.Add(ResultRow.From(Name, c, impl, stats));
        }

        foreach (var row in rows.Where(r => r.Case.StartsWith("Queue", StringComparison.Ordinal)))
        {
            row.Note = string.Create(CultureInfo.InvariantCulture, $"{1e9 / row.MedianNs:N0} messages/s");
        }

        return rows;
    }

    private IEnumerable<ResultRow> PoolMap(BenchContext context, PythonProcessOptions options, int items, string python)
    {
        using var pool = new Pool(new PoolOptions { Processes = 2, Process = options });
        pool.Map($"{Module}:square", Enumerable.Range(0, 10).Select(i => (object?)(long)i));   // the workers are up
        var data = Enumerable.Range(0, items).Select(i => (object?)(long)i).ToList();
        foreach (var chunksize in new[] { 100, 10 })
        {
            var stats = Sampler.Measure(
                n =>
                {
                    for (long i = 0; i < n; i++)
                    {
                        pool.Map($"{Module}:square", data, chunksize);
                    }
                },
                1,
                context.Samples(7));
            var row = Row($"Pool.map square {items} items, 2 workers, chunksize {chunksize}", "C# Pool.Map", python, stats);
            row.Note = "goal ≥ 1.0×";
            yield return row;
        }
    }

    /// <summary>C# producer threads put their share, then one None per consumer; Python consumers count and report.</summary>
    private static Stats Rounds(BenchContext context, PythonProcessOptions options, int producers, int consumers, int messages)
    {
        using var q = new Queue();
        using var done = new Queue();
        var gos = Enumerable.Range(0, consumers).Select(_ => new Queue()).ToList();
        var children = gos.Select(go => new PythonProcess($"{Module}:consume_rounds", [q, done, go], options: options)).ToList();
        children.ForEach(p => p.Start());
        var first = true;
        try
        {
            return Sampler.Measure(
                n =>
                {
                    if (!first)
                    {
                        gos.ForEach(go => go.Put(true));
                    }

                    first = false;
                    var share = n / producers;
                    var threads = Enumerable.Range(0, producers).Select(_ => new Thread(() =>
                    {
                        for (long i = 0; i < share; i++)
                        {
                            q.Put(Item);
                        }
                    })).ToList();
                    threads.ForEach(t => t.Start());
                    threads.ForEach(t => t.Join());
                    for (var i = 0; i < consumers; i++)
                    {
                        q.Put(null);
                    }

                    var got = Enumerable.Range(0, consumers).Sum(_ => (long)done.Get()!);
                    if (got != share * producers)
                    {
                        throw new InvalidOperationException($"consumers counted {got} messages, {share * producers} were sent");
                    }
                },
                messages,
                context.Samples(7));
        }
        finally
        {
            gos.ForEach(go => go.Put(null));
            children.ForEach(p => p.Join(TimeSpan.FromSeconds(30)));
            children.ForEach(p => p.Dispose());
            gos.ForEach(go => go.Dispose());
        }
    }

    /// <summary>A Python producer puts n items when told; the C# consumer gets them.</summary>
    private static Stats PythonToCSharp(BenchContext context, PythonProcessOptions options, int messages)
    {
        using var q = new Queue();
        using var go = new Queue();
        using var child = new PythonProcess($"{Module}:produce_rounds", [q, go, Item], options: options);
        child.Start();
        try
        {
            return Sampler.Measure(
                n =>
                {
                    go.Put(n);
                    for (long i = 0; i < n; i++)
                    {
                        q.Get();
                    }
                },
                messages,
                context.Samples(7));
        }
        finally
        {
            go.Put(null);
            child.Join(TimeSpan.FromSeconds(30));
        }
    }

    private ResultRow Row(string @case, string impl, string baseline, Stats stats)
    {
        var row = ResultRow.From(Name, @case, impl, stats);
        row.Baseline = baseline;
        return row;
    }
}
