using System.Diagnostics;
using System.Globalization;
using System.Text;
using Multiprocess.Benchmarks.Harness;
using Multiprocess.Managers;

namespace Multiprocess.Benchmarks.Suites;

/// <summary>
/// The C# manager client against CPython's own client, both calling the same CPython manager server (one
/// process for the whole run) over TCP loopback: per-call latency of dict set/get, list append, Queue put+get and
/// Lock acquire+release. Samples alternate between the two clients (the Python client runs each batch on request),
/// so both see the same load on this shared machine. The server does most of the work per call and bounds the
/// speed-up.
/// </summary>
public sealed class ManagerClientSuite : IBenchmarkSuite
{
    private const string Script = "bench_manager_client.py";
    private static readonly byte[] s_authKey = Encoding.ASCII.GetBytes("bench-manager-client");

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
        using var server = PythonPeer.Start(context, Script, ["server"], redirectStdin: true);
        try
        {
            var address = server.StandardOutput.ReadLine()
                          ?? throw new InvalidOperationException($"the manager server exited: {server.StandardError.ReadToEnd()}");
            using var python = PythonPeer.Start(context, Script, ["client", address], redirectStdin: true);
            var baseline = python.StandardOutput.ReadLine()
                           ?? throw new InvalidOperationException($"the Python client exited: {python.StandardError.ReadToEnd()}");
            var rows = new List<ResultRow>();
            using (var manager = new SyncManager(address, s_authKey))
            {
                manager.Connect();
                var csharp = new CSharpClient(manager);
                foreach (var (key, @case, callsPerOp) in s_cases)
                {
                    var ops = Math.Max(1, context.Ops(2000) / callsPerOp);
                    var (py, cs) = Interleaved(context.Samples(15), ops, n => PythonBatch(python, key, n), n => csharp.Run(key, n));
                    rows.Add(Row(@case, baseline, baseline, py));
                    var row = Row(@case, "C# client", baseline, cs);
                    row.Note = py.MedianNs / cs.MedianNs >= 2 ? "goal (2x ops/s) met" : "goal (2x ops/s) not met";
                    rows.Add(row);
                }
            }

            python.StandardInput.Close();
            python.WaitForExit(10_000);
            return rows;
        }
        finally
        {
            server.StandardInput.Close();
            if (!server.WaitForExit(10_000))
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>One warm-up batch each, then alternating samples: Python, C#, Python, C#, ...</summary>
    private static (Stats Python, Stats CSharp) Interleaved(int samples, long ops, Func<long, double> python, Func<long, double> csharp)
    {
        python(ops);
        csharp(ops);
        var py = new double[samples];
        var cs = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            py[i] = python(ops) / ops;
            cs[i] = csharp(ops) / ops;
        }

        return (Stats.FromSamples(py, ops), Stats.FromSamples(cs, ops));
    }

    private static double PythonBatch(Process python, string key, long ops)
    {
        python.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} {ops}"));
        python.StandardInput.Flush();
        var line = python.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the Python client exited: {python.StandardError.ReadToEnd()}");
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
        private readonly DictProxy _dict;
        private readonly ListProxy _list;
        private readonly QueueProxy _queue;
        private readonly AcquirerProxy _lock;

        public CSharpClient(SyncManager manager)
        {
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

            var elapsed = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            if (key == "list_append" && _list.Count > 100_000)
            {
                _list.Clear();
            }

            return elapsed;
        }
    }
}
