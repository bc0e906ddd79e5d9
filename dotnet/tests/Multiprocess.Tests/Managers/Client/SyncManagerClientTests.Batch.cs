using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public async Task Batch_PipelinedCalls_ResultsInOrderAndErrorsPerCall() => await AssertNoLeakAsync(async () =>
    {
        using var l = _manager.List();
        using var d = _manager.Dict(new PyDict { ["k"] = "v" });
        var batch = _manager.Batch();
        for (var i = 0; i < 50; i++)
        {
            batch.Add(l, "append", PyTuple.Create((long)i));
        }

        batch.Add(d, "__getitem__", PyTuple.Create("k")).Add(l, "__len__");
        var results = batch.Execute();
        Assert.That(results, Has.Length.EqualTo(52));
        Assert.That(results[50], Is.EqualTo("v"));
        Assert.That(results[51], Is.EqualTo(50L));
        Assert.That(batch.Count, Is.Zero);

        batch.Add(d, "__getitem__", PyTuple.Create("missing")).Add(d, "__iter__").Add(l, "pop");
        var e = Assert.Throws<AggregateException>(() => batch.Execute());
        Assert.That(e!.InnerExceptions.Single(), Is.InstanceOf<KeyNotFoundException>());
        Assert.That(l.Count, Is.EqualTo(49), "the calls after the failing one ran");

        batch.Add(l, "__len__").Add(d, "__iter__");
        var asyncResults = await batch.ExecuteAsync();
        Assert.That(asyncResults[0], Is.EqualTo(49L));
        using (var iterator = (IteratorProxy)asyncResults[1]!)
        {
            Assert.That(iterator.ToList(), Is.EqualTo(new object?[] { "k" }));
        }

        using var otherManager = NewClient();
        using var foreign = otherManager.List();
        Assert.That(() => batch.Add(foreign, "append"), Throws.ArgumentException);
    });

    private async Task AssertNoLeakAsync(Func<Task> body)
    {
        var before = SettledObjectCount();
        await body();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        DecrefWorker.Drain(TimeSpan.FromSeconds(10));
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before), "number_of_objects after the test");
    }
}
