using System.Diagnostics;
using System.Globalization;
using System.Text;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Pickle;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// The C# manager client against CPython's own client, both calling the same CPython manager server (one
/// process for the whole run) over TCP loopback: per-call latency of dict set/get, list append, Queue put+get and
/// Lock acquire+release. Samples alternate between the two clients (the Python client runs each batch on request),
/// so both see the same load on this shared machine. A second C# row blocks for each reply at once, as Python's client
/// does, to show what the reply polling buys. The server does most of the work per call and bounds the speed-up.
/// </summary>
public sealed class ManagerClientSuite : IBenchmarkSuite
{
    private const string Script = "bench_manager_client.py";
    private static readonly byte[] s_authKey = Encoding.ASCII.GetBytes("bench-manager-client");
    private static readonly PyTuple s_key = PyTuple.Create("k");
    private static readonly PyTuple s_true = PyTuple.Create(true);

    private static readonly (string Key, string Case, int CallsPerOp)[] s_cases =
    [
        ("dict_set", "dict set d[k] = v", 1),
        ("dict_get", "dict get d[k]", 1),
        ("list_append", "list append", 1),
        ("queue_put_get", "Queue put + get (2 calls)", 2),
        ("lock_acquire_release", "Lock acquire + release (2 calls)", 2),
    ];

    /// <inheritdoc/>
    public string Name => "manager-client";

    /// <inheritdoc/>
    public IEnumerable<ResultRow> Run(BenchContext context)
    {
        // The CPython manager server prints its address, the CPython client its implementation's name.
        using var server = PythonPeer.StartServer(context, Script, ["server"], PythonPeer.Talking);
        var address = server.ReadyLine;
        using var python = PythonPeer.StartServer(context, Script, ["client", address], PythonPeer.Talking);
        var baseline = python.ReadyLine;
        var rows = new List<ResultRow>();
        // The default client, and one that blocks at once for its reply as Python's does (no receive polling).
        // Plus calls pipelined in batches of 32 (ManagerBatch): the same calls, fewer round-trip waits.
        (string Impl, ManagerOptions Options, int Batch)[] variants =
        [
            ("C# client", ManagerOptions.Default, 0),
            ("C# client (no spin)", new ManagerOptions { ReceiveSpin = TimeSpan.Zero }, 0),
            ("C# client (batches of 32)", ManagerOptions.Default, 32),
        ];
        var managers = variants.Select(v => new SyncManager(address, s_authKey, v.Options)).ToList();
        try
        {
            var clients = managers.Select((m, i) => { m.Connect(); return new CSharpClient(m, variants[i].Batch); }).ToList();
            foreach (var (key, @case, callsPerOp) in s_cases)
            {
                var ops = Math.Max(1, context.Ops(2000) / callsPerOp);
                var samples = context.Samples(15);
                var stats = Interleaved(samples, ops, [n => PythonBatch(python, key, n), .. clients.Select(c => (Func<long, double>)(n => c.Run(key, n)))]);
                rows.Add(Row(@case, baseline, baseline, stats[0]));
                for (var i = 0; i < variants.Length; i++)
                {
                    var row = Row(@case, variants[i].Impl, baseline, stats[i + 1]);
                    row.Note = stats[0].MedianNs / stats[i + 1].MedianNs >= 2 ? "goal (2x ops/s) met" : "goal (2x ops/s) not met";
                    rows.Add(row);
                }
            }
        }
        finally
        {
            managers.ForEach(m => m.Dispose());
        }

        python.Stop();
        return rows;
    }

    /// <summary>One warm-up batch each, then rounds of one sample per implementation, in turn, so all see the same load.</summary>
    private static Stats[] Interleaved(int samples, long ops, Func<long, double>[] implementations)
    {
        foreach (var run in implementations)
        {
            run(ops);
        }

        var perOp = implementations.Select(_ => new double[samples]).ToArray();
        for (var i = 0; i < samples; i++)
        {
            for (var j = 0; j < implementations.Length; j++)
            {
                perOp[j][i] = implementations[j](ops) / ops;
            }
        }

        return perOp.Select(p => Stats.FromSamples(p, ops)).ToArray();
    }

    private static double PythonBatch(ServerProcess python, string key, long ops)
    {
        python.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} {ops}"));
        python.StandardInput.Flush();
        var line = python.StandardOutput.ReadLine() ?? throw python.Ended();
        return double.Parse(line, CultureInfo.InvariantCulture);
    }

    private static ResultRow Row(string @case, string impl, string baseline, Stats stats)
    {
        var row = ResultRow.From("manager-client", @case, impl, stats);
        row.Baseline = baseline;
        return row;
    }

    /// <summary>The same calls as the Python client, through the C# proxies.</summary>
    private sealed class CSharpClient
    {
        private readonly SyncManager _manager;
        private readonly int _batch;
        private readonly DictProxy _dict;
        private readonly ListProxy _list;
        private readonly QueueProxy _queue;
        private readonly AcquirerProxy _lock;

        public CSharpClient(SyncManager manager, int batch)
        {
            _manager = manager;
            _batch = batch;
            _dict = manager.Dict();
            _list = manager.List();
            _queue = manager.Queue();
            _lock = manager.Lock();
            _dict["k"] = 0L;
        }

        /// <summary>Runs one batch and returns its elapsed nanoseconds.</summary>
        public double Run(string key, long ops)
        {
            var start = Stopwatch.GetTimestamp();
            if (_batch > 0)
            {
                RunBatched(key, ops);
                return Finish(key, start);
            }

            switch (key)
            {
                case "dict_set":
                    for (long i = 0; i < ops; i++)
                    {
                        _dict["k"] = i;
                    }

                    break;
                case "dict_get":
                    for (long i = 0; i < ops; i++)
                    {
                        _ = _dict["k"];
                    }

                    break;
                case "list_append":
                    for (long i = 0; i < ops; i++)
                    {
                        _list.Append(i);
                    }

                    break;
                case "queue_put_get":
                    for (long i = 0; i < ops; i++)
                    {
                        _queue.Put(i);
                        _queue.Get();
                    }

                    break;
                default:
                    for (long i = 0; i < ops; i++)
                    {
                        _lock.Acquire();
                        _lock.Release();
                    }

                    break;
            }

            return Finish(key, start);
        }

        private double Finish(string key, long start)
        {
            var elapsed = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            if (key == "list_append" && _list.Count > 100_000)
            {
                _list.Clear();
            }

            return elapsed;
        }

        /// <summary>The same calls, <c>_batch</c> at a time through <see cref="ManagerBatch"/>.</summary>
        private void RunBatched(string key, long ops)
        {
            var batch = _manager.Batch();
            for (long i = 0; i < ops; i++)
            {
                var n = PyTuple.Create(i);
                switch (key)
                {
                    case "dict_set":
                        batch.Add(_dict, "__setitem__", PyTuple.Create("k", i));
                        break;
                    case "dict_get":
                        batch.Add(_dict, "__getitem__", s_key);
                        break;
                    case "list_append":
                        batch.Add(_list, "append", n);
                        break;
                    case "queue_put_get":
                        batch.Add(_queue, "put", n).Add(_queue, "get");
                        break;
                    default:
                        batch.Add(_lock, "acquire", s_true).Add(_lock, "release");
                        break;
                }

                if (batch.Count >= _batch || i == ops - 1)
                {
                    batch.Execute();
                }
            }
        }
    }
}
