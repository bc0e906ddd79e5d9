using Multiprocess.Managers.Python;
using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;
using Multiprocess.Pooling;

namespace Multiprocess.Managers.Hosting;

/// <summary>
/// What a served Pool's <c>imap</c>/<c>imap_unordered</c> return (type id <c>Iterator</c>, IteratorProxy): CPython's
/// <c>IMapIterator</c>, whose <c>__next__(timeout=None)</c> returns the next result, raises the task's exception at
/// its place, <c>multiprocessing.TimeoutError</c> when the timeout passes, and StopIteration at the end. With a chunk
/// size above 1 the worker's results are chunks, handed out one item at a time (pool.py's <c>_get_tasks</c> then
/// <c>chain.from_iterable</c>).
/// </summary>
internal sealed class ServedPoolIterator(ImapJob job, bool chunked, string package, string className) : Referent
{
    private static readonly PySignature s_next = new("__next__", ["timeout"], [null]);

    private readonly object _gate = new();
    private readonly Queue<object?> _chunk = new();

    public override bool HasMethod(string name) => name == "__next__";

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        if (name != "__next__")
        {
            throw NoSuchMethod(className, name);
        }

        var deadline = Deadline.FromSeconds(PyValues.AsTimeout(s_next.Bind(args, kwargs)[0]));
        lock (_gate)
        {
            while (true)
            {
                if (_chunk.TryDequeue(out var item))
                {
                    return item;
                }

                if (!TryTake(deadline, context, out var value))
                {
                    throw PyErrors.StopIteration();
                }

                if (!chunked)
                {
                    return value;
                }

                foreach (var v in value as List<object?> ?? [value])
                {
                    _chunk.Enqueue(v);
                }
            }
        }
    }

    public override string Repr() => $"<{package}.pool.{className} object at {Address}>";

    private bool TryTake(Deadline deadline, SharedCallContext context, out object? value)
    {
        while (true)
        {
            try
            {
                return job.TryTake(TimeSpan.FromMilliseconds(deadline.RemainingMilliseconds(Waiter.PeerCheckInterval)), out value);
            }
            catch (TimeoutException)
            {
                if (deadline.Expired)
                {
                    throw ServedResults.Timeout(package);
                }

                ServedResults.CheckPeer(context);
            }
            catch (ProcessException e)
            {
                throw ServedResults.Raise(e);
            }
        }
    }
}
