using Multiprocess.Pickle;
using Multiprocess.Queues;

namespace Multiprocess.Tests.Queues;

/// <summary>Queue, JoinableQueue and SimpleQueue semantics within one process (CPython's _TestQueue cases).</summary>
[TestFixture]
public sealed class QueueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public void PutGet_ManyItems_ComeOutInOrderWithTheirTypes()
    {
        using var q = new Queue();
        var items = new object?[] { null, 1L, "two", 3.0, new byte[] { 4 }, PyTuple.Create(5L, "six"), new List<object?> { 7L } };
        foreach (var item in items)
        {
            q.Put(item);
        }

        for (var i = 0; i < 10_000; i++)
        {
            q.Put((long)i);
        }

        var got = items.Select(_ => q.Get(timeout: Wait)).ToList();
        Assert.That(PyRepr.Repr(got), Is.EqualTo(PyRepr.Repr(items.ToList())));
        Assert.That(got[5], Is.TypeOf<PyTuple>());
        Assert.That(Enumerable.Range(0, 10_000).Select(_ => q.Get(timeout: Wait)).ToList(), Is.EqualTo(Enumerable.Range(0, 10_000).Select(i => (object)(long)i)));
    }

    [Test]
    public void Put_LargeItem_ArrivesWhole()
    {
        using var q = new Queue();
        var big = Enumerable.Range(0, 3 << 20).Select(i => (byte)i).ToArray();
        q.Put(big);
        q.Put("after");
        Assert.That(q.Get(timeout: Wait), Is.EqualTo(big));
        Assert.That(q.Get(timeout: Wait), Is.EqualTo("after"));
    }

    [Test]
    public void MaxSize_FullQueue_PutFailsOrTimesOutAndCountsAreRight()
    {
        using var q = new Queue(maxSize: 2);
        q.Put(1L);
        q.Put(2L);
        Assert.Multiple(() =>
        {
            Assert.That(q.IsFull(), Is.True);
            Assert.That(q.QSize(), Is.EqualTo(2));
            Assert.That(() => q.Put(3L, block: false), Throws.TypeOf<QueueFullException>());
            Assert.That(q.TryPut(3L, TimeSpan.FromMilliseconds(50)), Is.False);
        });

        Assert.That(q.Get(timeout: Wait), Is.EqualTo(1L));
        Assert.That(q.TryPut(3L, Wait), Is.True);
        Assert.That(new[] { q.Get(timeout: Wait), q.Get(timeout: Wait) }, Is.EqualTo(new object[] { 2L, 3L }));
        Assert.That(q.QSize(), Is.EqualTo(0));
    }

    [Test]
    public void Get_EmptyQueue_ThrowsEmptyAfterTheTimeout()
    {
        using var q = new Queue();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Multiple(() =>
        {
            Assert.That(() => q.Get(block: false), Throws.TypeOf<QueueEmptyException>());
            Assert.That(() => q.Get(timeout: TimeSpan.FromMilliseconds(100)), Throws.TypeOf<QueueEmptyException>());
            Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90)));
            Assert.That(q.TryGet(out _, TimeSpan.Zero), Is.False);
            Assert.That(q.IsEmpty(), Is.True);
        });
    }

    [Test]
    public void Close_ThenPutOrGet_ThrowsAndPendingItemsWereWritten()
    {
        var q = new Queue();
        q.Put("pending");
        q.Close();
        Assert.That(q.JoinThread(Wait), Is.True);
        Assert.That(() => q.Put(1L), Throws.InvalidOperationException.With.Message.Contains("is closed"));
        Assert.That(() => q.Get(), Throws.InvalidOperationException);
        q.Dispose();
    }

    [Test]
    public void JoinableQueue_TaskDone_JoinWaitsForEveryItem()
    {
        using var q = new JoinableQueue();
        q.Put(1L);
        q.Put(2L);
        Assert.That(q.Join(TimeSpan.Zero), Is.False);
        var consumer = new Thread(() =>
        {
            for (var i = 0; i < 2; i++)
            {
                q.Get(timeout: Wait);
                Thread.Sleep(50);
                q.TaskDone();
            }
        });
        consumer.Start();
        Assert.That(q.Join(Wait), Is.True);
        consumer.Join();
        Assert.That(q.UnfinishedTasks.GetValue(), Is.EqualTo(0));
        Assert.That(q.TaskDone, Throws.InvalidOperationException.With.Message.EqualTo("task_done() called too many times"));
    }

    [Test]
    public void SimpleQueue_PutGet_AndTimeout()
    {
        using var q = new SimpleQueue();
        Assert.That(q.IsEmpty(), Is.True);
        q.Put(PyTuple.Create(1L, "x"));
        Assert.That(q.IsEmpty(), Is.False);
        Assert.That(PyRepr.Repr(q.Get()), Is.EqualTo("(1, 'x')"));
        Assert.That(q.TryGet(out _, TimeSpan.FromMilliseconds(20)), Is.False);
    }

    [Test]
    public void Pickle_QueueOutsideSpawning_Refused()
    {
        using var q = new Queue();
        Assert.That(q.Reduce, Throws.InvalidOperationException.With.Message.Contains("through inheritance"));
    }
}
