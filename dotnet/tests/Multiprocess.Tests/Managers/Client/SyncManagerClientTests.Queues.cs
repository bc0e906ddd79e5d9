using System.Diagnostics;
using Multiprocess.Managers.Protocol;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(100);

    [Test]
    public void Queue_PutGet_FifoAndSizes() => AssertNoLeak(() =>
    {
        using var q = _manager.Queue();
        Assert.That(q.Empty(), Is.True);
        q.Put(1L);
        q.Put("two", block: false);
        q.Put(3.0, block: true, timeout: TimeSpan.FromSeconds(1));
        q.PutNowait(null);
        Assert.Multiple(() =>
        {
            Assert.That(q.QSize(), Is.EqualTo(4));
            Assert.That(q.Full(), Is.False);
            Assert.That(q.Get(), Is.EqualTo(1L));
            Assert.That(q.Get(block: false), Is.EqualTo("two"));
            Assert.That(q.Get(timeout: TimeSpan.FromSeconds(1)), Is.EqualTo(3.0));
            Assert.That(q.GetNowait(), Is.Null);
            Assert.That(q.Exposed, Does.Contain("task_done"));
        });
    });

    [Test]
    public void Queue_EmptyGetWithTimeout_ThrowsTimeoutExceptionAfterTimeout()
    {
        using var q = _manager.Queue();
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<TimeoutException>(() => q.Get(timeout: s_short));
        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90)));
        Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("Empty"));
        Assert.That(() => q.GetNowait(), Throws.InstanceOf<TimeoutException>());
        Assert.That(() => q.Get(block: false), Throws.InstanceOf<TimeoutException>());
        Assert.That(q.TryGet(s_short, out _), Is.False);
    }

    [Test]
    public void Queue_Bounded_PutOnFullThrowsTimeoutExceptionWithFull()
    {
        using var q = _manager.Queue(maxSize: 1);
        q.Put("a");
        Assert.That(q.Full(), Is.True);
        var e = Assert.Throws<TimeoutException>(() => q.Put("b", timeout: s_short));
        Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("Full"));
        Assert.That(() => q.PutNowait("b"), Throws.InstanceOf<TimeoutException>());
    }

    [Test]
    public void Queue_BlockingGet_WakesWhenAnotherThreadPuts()
    {
        using var q = _manager.Queue();
        var getter = Task.Run(() => q.Get(timeout: TimeSpan.FromSeconds(10)));
        Thread.Sleep(50);
        q.Put("late");
        Assert.That(getter.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(getter.Result, Is.EqualTo("late"));
    }

    [Test]
    public void JoinableQueue_TaskDoneAndJoin_JoinReturnsWhenAllDone()
    {
        using var q = _manager.JoinableQueue();
        q.Put("job1");
        q.Put("job2");
        var joined = Task.Run(q.Join);
        Assert.That(joined.Wait(s_short), Is.False, "join returned with unfinished tasks");
        q.Get();
        q.TaskDone();
        q.Get();
        q.TaskDone();
        Assert.That(joined.Wait(TimeSpan.FromSeconds(10)), Is.True);
        var e = Assert.Throws<ArgumentException>(q.TaskDone);
        Assert.That(PythonError(e!)!.TypeName, Is.EqualTo("ValueError"));
    }

    [Test]
    public async Task Queue_AsyncForms_PutGetJoinAndReadAll()
    {
        await using var q = _manager.JoinableQueue();
        await q.PutAsync("a");
        await q.PutAsync("b", timeout: TimeSpan.FromSeconds(1));
        Assert.That(await q.QSizeAsync(), Is.EqualTo(2));
        Assert.That(await q.GetAsync(), Is.EqualTo("a"));
        await q.TaskDoneAsync();
        Assert.That(async () => await q.GetAsync(timeout: TimeSpan.FromSeconds(5)), Is.EqualTo("b"));
        await q.TaskDoneAsync();
        await q.JoinAsync();
        Assert.That(async () => await q.GetAsync(timeout: s_short), Throws.InstanceOf<TimeoutException>());

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = Task.Run(async () =>
        {
            var seen = new List<object?>();
            await foreach (var item in q.ReadAllAsync(TimeSpan.FromMilliseconds(50), cts.Token))
            {
                seen.Add(item);
                if (seen.Count == 3)
                {
                    break;
                }
            }

            return seen;
        });
        foreach (var i in new long[] { 1, 2, 3 })
        {
            await q.PutAsync(i);
        }

        Assert.That(await reader, Is.EqualTo(new object?[] { 1L, 2L, 3L }));
    }
}
