using Multiprocess.Managers.Server;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// Issue 16: "no per-call allocation on the dict/list/queue/lock paths". A stock CPython 3.12 client makes a fixed,
/// large count of calls against an in-process <see cref="SyncManagerServer"/>; the bytes this process allocated
/// meanwhile (<c>GC.GetTotalAllocatedBytes(precise: true)</c>, all threads) divided by the calls must stay within
/// each path's bound. Before the request fast path (<c>RequestUnpickler</c>) every call allocated 140–200 B (the
/// request's 4-tuple, its args tuple and kwds dict, bound-argument arrays), so each bound fails the old code.
/// </summary>
/// <remarks>
/// The count is large (20,000 calls or more per case) so that what else the process allocates in that window (the
/// REPL's JSON line of this test, the server's once-a-second idle check) is well under 1 B per call; a window that
/// something else in the process disturbed is measured again (the least of up to three counts). Values stay
/// below 65,536, which the unpickler shares pre-boxed; a larger int is a new 24-byte box, and a stored value is
/// allocated by design (<see cref="DictSetItem_LargeInts_AllocatesOnlyTheStoredBox"/>).
/// </remarks>
[NonParallelizable]
public class PerCallAllocationTests
{
    private const int Iterations = 20_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private SyncManagerServer? _server;
    private PythonRepl? _client;

    [OneTimeSetUp]
    public void StartServerAndClient()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mp-alloc-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        _server = new SyncManagerServer(path, "alloc key"u8.ToArray());
        _server.Start();
        _client = PythonRepl.Start("3.12");
        _client.Exec($"""
            from multiprocessing.managers import SyncManager
            m = SyncManager('{path}', authkey=b'alloc key')
            m.connect()
            d = m.dict(); l = m.list(); q = m.Queue()
            lk = m.Lock(); rl = m.RLock(); sem = m.Semaphore(1); cond = m.Condition()
            """, Patience);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _client?.Dispose();
        _server?.Dispose();
    }

    // (case, Python statements of one iteration over i, calls per iteration, bound in bytes per call)
    public static IEnumerable<TestCaseData> Paths =>
    [
        new TestCaseData("d[1] = i; d[1]", 2, 4.0).SetName("Dict_SetItemGetItem"),
        new TestCaseData("d.get(1)", 1, 4.0).SetName("Dict_Get"),
        new TestCaseData("l.append(i)", 1, 4.0).SetName("List_Append"),
        new TestCaseData("q.put(i); q.get()", 2, 4.0).SetName("Queue_PutGet"),
        new TestCaseData("lk.acquire(); lk.release()", 2, 4.0).SetName("Lock_AcquireRelease"),
        new TestCaseData("rl.acquire(); rl.release()", 2, 4.0).SetName("RLock_AcquireRelease"),
        new TestCaseData("sem.acquire(); sem.release()", 2, 4.0).SetName("Semaphore_AcquireRelease"),
        new TestCaseData("cond.acquire(); cond.notify(); cond.release()", 3, 4.0).SetName("Condition_AcquireNotifyRelease"),
    ];

    [TestCaseSource(nameof(Paths))]
    public void Call_StockClient_AllocatesWithinBound(string body, int callsPerIteration, double boundPerCall)
    {
        // The list is emptied and its storage grown beforehand: what is measured is the call, not List<T> doubling.
        var perCall = Measure(body, callsPerIteration, "l.extend(range(60000)); del l[:]", boundPerCall);
        Assert.That(perCall, Is.LessThanOrEqualTo(boundPerCall), $"bytes allocated per call of `{body}`");
    }

    [Test]
    public void DictSetItem_LargeInts_AllocatesOnlyTheStoredBox()
    {
        // d[1] = 100000 + i: the value is stored, so it is boxed (24 B on x64); the getitem that follows allocates
        // nothing (its reply pickles the stored box). 2 calls per iteration: 12 B per call, plus the noise margin.
        var perCall = Measure("d[1] = 100000 + i; d[1]", 2, null, 12.0 + 4.0);
        Assert.That(perCall, Is.LessThanOrEqualTo(12.0 + 4.0));
    }

    private double Measure(string body, int callsPerIteration, string? setUp, double bound)
    {
        var client = _client!;
        var loop = $"for i in range({{0}}):\n    {body}\n";
        if (setUp is not null)
        {
            client.Exec(setUp, Patience);
        }

        // Warm-up over the same range: the JIT's tiers, the unpickler's string cache and its shared boxes of these
        // ints (filled on first use), the queue's and the list's storage.
        client.Exec(string.Format(System.Globalization.CultureInfo.InvariantCulture, loop, Iterations), Patience);
        if (setUp is not null)
        {
            client.Exec(setUp, Patience);
        }

        // The count is process-wide: whatever else runs in the process (a timer, a server another test left) counts
        // too, and only ever adds. So the least of up to three windows is the call's own figure: an allocation of the
        // path itself (the old path's 144-193 B, or 88 B from two cached strings evicting each other, now fixed)
        // shows in every window, and the sampler names its type.
        var least = double.MaxValue;
        for (var window = 0; window < 3 && least > bound; window++)
        {
            using var sampler = new AllocationSampler();
            var before = GC.GetTotalAllocatedBytes(precise: true);
            client.Exec(string.Format(System.Globalization.CultureInfo.InvariantCulture, loop, Iterations), Patience);
            var after = GC.GetTotalAllocatedBytes(precise: true);
            var perCall = (double)(after - before) / (Iterations * callsPerIteration);
            TestContext.Out.WriteLine($"{body}: {perCall:0.0} B per call ({after - before} B over {Iterations * callsPerIteration} calls); sampled: {sampler.Describe()}");
            least = Math.Min(least, perCall);
        }

        return least;
    }

    /// <summary>The runtime's allocation samples (one per ~100 KB allocated): the types that filled a window.</summary>
    private sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
    {
        private readonly Dictionary<string, int> _types = [];

        public string Describe()
        {
            lock (_types)
            {
                return _types.Count == 0 ? "none" : string.Join(", ", _types.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} x{kv.Value}"));
            }
        }

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
        {
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && e.PayloadNames is { } names)
            {
                var i = names.IndexOf("TypeName");
                var type = i >= 0 ? e.Payload?[i] as string ?? "?" : "?";
                lock (_types)
                {
                    _types[type] = _types.GetValueOrDefault(type) + 1;
                }
            }
        }
    }
}
