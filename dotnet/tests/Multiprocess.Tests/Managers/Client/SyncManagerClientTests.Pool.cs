using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public async Task Pool_EveryMethod_RunsPythonFunctionsInWorkers()
    {
        var before = SettledObjectCount();
        using (var pool = _manager.Pool(2))
        {
            Assert.Multiple(() =>
            {
                Assert.That(pool.Apply("builtins:max", PyTuple.Create(3L, 9L, 4L)), Is.EqualTo(9L));
                Assert.That(pool.Apply("builtins:int", PyTuple.Create("ff"), new PyDict { ["base"] = 16L }), Is.EqualTo(255L));
                Assert.That(pool.Map("math:sqrt", new[] { 1, 4, 9 }), Is.EqualTo(new object?[] { 1.0, 2.0, 3.0 }));
                Assert.That(pool.Map(new PyGlobal("builtins", "abs"), new[] { -1, -2 }, chunkSize: 1), Is.EqualTo(new object?[] { 1L, 2L }));
                Assert.That(pool.Starmap("operator:mul", new[] { PyTuple.Create(2L, 3L), PyTuple.Create(4L, 5L) }), Is.EqualTo(new object?[] { 6L, 20L }));
            });

            using (var it = pool.Imap("builtins:str", new[] { 1, 2, 3 }))
            {
                Assert.That(it.ToList(), Is.EqualTo(new object?[] { "1", "2", "3" }));
            }

            using (var it = pool.ImapUnordered("builtins:abs", new[] { -5, 6 }, chunkSize: 2))
            {
                Assert.That(it.Cast<long>(), Is.EquivalentTo(new long[] { 5, 6 }));
            }

            using (var r = pool.ApplyAsync("builtins:pow", PyTuple.Create(2L, 10L)))
            {
                Assert.That(r.Get(TimeSpan.FromSeconds(20)), Is.EqualTo(1024L));
                Assert.That(r.Ready(), Is.True);
                Assert.That(r.Successful(), Is.True);
            }

            using (var r = pool.MapAsync("builtins:len", new[] { "ab", "cde" }))
            {
                Assert.That(await r, Is.EqualTo(new List<object?> { 2L, 3L }));
            }

            using (var r = pool.StarmapAsync("builtins:divmod", new[] { PyTuple.Create(7L, 2L) }))
            {
                r.Wait(TimeSpan.FromSeconds(20));
                Assert.That(await r.GetAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(new List<object?> { PyTuple.Create(3L, 1L) }));
            }

            using (var slow = pool.ApplyAsync("time:sleep", PyTuple.Create(2.0)))
            {
                Assert.That(() => slow.Get(TimeSpan.FromMilliseconds(20)), Throws.InstanceOf<TimeoutException>(), "multiprocessing.TimeoutError");
                Assert.That(slow.Ready(), Is.False);
                Assert.That(() => slow.Successful(), Throws.ArgumentException, "ValueError: not ready");
            }

            var e = Assert.Throws<ArgumentException>(() => pool.Apply("math:sqrt", PyTuple.Create(-1L)));
            Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("ValueError"));
            Assert.That(await pool.ApplyTaskAsync("builtins:min", PyTuple.Create(5L, 2L)), Is.EqualTo(2L));
            Assert.That(await pool.MapTaskAsync("builtins:bool", new[] { 0, 1 }), Is.EqualTo(new object?[] { false, true }));
            Assert.That(() => pool.Map("no_colon", new[] { 1 }), Throws.ArgumentException.With.Message.Contains("module:qualname"));
            pool.Terminate();
            pool.Join();
        }

        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before));
    }
}
