using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Celery.Worker;

namespace Multiprocess.Celery.Tests;

/// <summary>The Pool-shaped facade over a mixed cluster: a Python worker and a C# worker on one Redis queue.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CeleryPoolTests
{
    private const string Queue = "pool";
    private ChildProcess? _python;
    private CeleryWorker? _csharp;
    private CeleryPool? _pool;

    private static string Broker => CeleryServers.Redis.Url(4);

    private CeleryPool Pool => _pool!;

    [OneTimeSetUp]
    public void StartWorkers()
    {
        _python = PythonCelery.StartWorker(Broker, Queue, "pypool", concurrency: 2);
        _csharp = new CeleryWorker(Broker, options: new WorkerOptions { Queues = [Queue], Concurrency = 2, PrefetchMultiplier = 1 });
        _csharp.Register("mixed.whoami", args =>
        {
            Thread.Sleep(20);
            return new List<object?> { "cs", args[0] };
        });
        _csharp.Start();
        _pool = new CeleryPool(Broker) { Timeout = TimeSpan.FromSeconds(60), Options = new SendOptions { Queue = Queue } };
    }

    [OneTimeTearDown]
    public void StopWorkers()
    {
        _pool?.Dispose();
        _csharp?.Dispose();
        _python?.Dispose();
    }

    [TestCase(1)]
    [TestCase(7)]
    public void Map_AcrossPythonAndCSharpWorkers_ResultsInOrder(int chunksize)
    {
        var results = Pool.Map("mixed.whoami", Enumerable.Range(0, 60).Select(i => (object?)(long)i), chunksize);
        Assert.That(results.Select(r => ((List<object?>)r!)[1]), Is.EqualTo(Enumerable.Range(0, 60).Select(i => (object?)(long)i)));
        Assert.That(results.Select(r => ((List<object?>)r!)[0]).Distinct(), Is.SubsetOf(new[] { "py", "cs" }));
    }

    [Test]
    public void StarMapAndImap_KeepOrder()
    {
        var star = Pool.StarMap("mixed.whoami", Enumerable.Range(0, 10).Select(i => (IEnumerable<object?>)[(long)i, 0.0]), chunksize: 3);
        Assert.That(star.Select(r => ((List<object?>)r!)[1]), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (object?)(long)i)));
        var imap = Pool.Imap("mixed.whoami", [5L, 6L, 7L]).Select(r => ((List<object?>)r!)[1]).ToList();
        Assert.That(imap, Is.EqualTo(new object?[] { 5L, 6L, 7L }));
    }

    [Test]
    public async Task ApplyAsync_CompletesWithTheResult()
    {
        var result = (List<object?>)(await Pool.ApplyAsync("mixed.whoami", [41L]))!;
        Assert.That(result[1], Is.EqualTo(41L));
    }

    [Test]
    public void Apply_UnknownTask_ThrowsNotRegistered()
    {
        var e = Assert.Throws<CeleryTaskException>(() => Pool.Apply("mixed.nobody", [1L]))!;
        Assert.That(e.ExceptionType, Is.EqualTo("NotRegistered"));
    }
}
