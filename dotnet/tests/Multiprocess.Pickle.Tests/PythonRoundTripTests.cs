using Multiprocess.Pickle.Tests.Support;
using Multiprocess.TestUtilities;

namespace Multiprocess.Pickle.Tests;

/// <summary>C# → CPython → C#: every installed CPython reads what the C# pickler writes and gives back an equal value.</summary>
[Parallelizable(ParallelScope.All)]
public class PythonRoundTripTests
{
    public static IEnumerable<TestCaseData> VersionsAndProtocols =>
        PythonInterpreters.Versions.SelectMany(v => new[] { 2, 3, 4, 5 }.Select(p => new TestCaseData(v, p)));

    [TestCaseSource(nameof(VersionsAndProtocols))]
    public void Dumps_Corpus_CPythonGivesBackEqualValues(string version, int protocol)
    {
        var corpus = Corpus.Build();
        var pickles = corpus.Select(c => PickleSerializer.Dumps(c.Value, new PickleOptions { Protocol = protocol })).ToList();
        var back = PythonRoundTrip.Run(version, pickles, protocol, TimeSpan.FromSeconds(50));
        var failures = new List<string>();
        for (var i = 0; i < corpus.Count; i++)
        {
            var (name, expected) = corpus[i];
            var value = PickleSerializer.Loads(back[i], new UnpickleOptions { Security = PickleSecurity.Trusted });
            if (!PyObjectComparer.Structural.Equals(Normalize(expected), value))
            {
                failures.Add($"{name}: sent {Short(expected)}, got back {Short(value)}");
            }
        }

        Assert.That(failures, Is.Empty, string.Join("\n", failures));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void Dumps_SharedAndRecursive_CPythonKeepsIdentity(string version)
    {
        var shared = new List<object?> { 1L };
        var recursive = new List<object?>();
        recursive.Add(recursive);
        var value = PyTuple.Create(shared, shared, recursive);
        var back = PythonRoundTrip.Run(version, [PickleSerializer.Dumps(value)], 4, TimeSpan.FromSeconds(30));
        var t = (PyTuple)PickleSerializer.Loads(back[0])!;
        Assert.Multiple(() =>
        {
            Assert.That(t[0], Is.SameAs(t[1]));
            Assert.That(((List<object?>)t[2]!)[0], Is.SameAs(t[2]));
        });
    }

    /// <summary>What a value becomes after a trip through Python: .NET-only shapes map to their Python equivalents.</summary>
    private static object? Normalize(object? value) => value switch
    {
        System.Runtime.CompilerServices.ITuple vt => new PyTuple(Enumerable.Range(0, vt.Length).Select(i => vt[i]).ToArray()),
        object?[] array => array.ToList(),
        Dictionary<string, long> d => d.Aggregate(new PyDict(), (acc, kv) => { acc[kv.Key] = kv.Value; return acc; }),
        char c => c.ToString(),
        float f => (double)f,
        decimal m => PyDecimal.FromDecimal(m),
        _ => value,
    };

    private static string Short(object? v)
    {
        var r = PyRepr.Repr(v);
        return r.Length > 120 ? r[..120] + "…" : r;
    }
}
