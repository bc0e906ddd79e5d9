using System.Collections;
using System.Runtime.CompilerServices;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// An iterator that lives in the manager (type id <c>Iterator</c>, CPython's <c>IteratorProxy</c>): what
/// <c>iter(dict)</c>, <c>Pool.imap</c> and <c>imap_unordered</c> return. Each item is one <c>__next__</c> call;
/// the end arrives as a StopIteration error. Enumerable once, like a Python iterator.
/// </summary>
public sealed class IteratorProxy : BaseProxy, IEnumerable<object?>
{
    /// <summary>Initializes a new instance of the <see cref="IteratorProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public IteratorProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <inheritdoc/>
    protected override string PythonProxyClass => "IteratorProxy";

    /// <summary>Returns the next item (<c>next(it)</c>).</summary>
    /// <returns>The item.</returns>
    /// <exception cref="InvalidOperationException">The iterator is exhausted (StopIteration).</exception>
    public object? Next() => CallMethod("__next__");

    /// <summary>Returns the next item, waiting at most <paramref name="timeout"/> (<c>__next__(timeout)</c> of a Pool's imap iterator).</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>The item.</returns>
    /// <exception cref="TimeoutException">No item came in time (multiprocessing.TimeoutError).</exception>
    /// <exception cref="InvalidOperationException">The iterator is exhausted (StopIteration).</exception>
    public object? Next(TimeSpan timeout) => CallMethod("__next__", PyTuple.Create(PyArguments.Seconds(timeout)));

    /// <summary>Returns the next item if there is one.</summary>
    /// <param name="item">The item.</param>
    /// <returns>False when the iterator is exhausted.</returns>
    public bool TryNext(out object? item)
    {
        try
        {
            item = Next();
            return true;
        }
        catch (InvalidOperationException e) when (PyArguments.IsStopIteration(e))
        {
            item = null;
            return false;
        }
    }

    /// <summary>Returns the next item asynchronously, or reports the end.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether there was an item, and the item.</returns>
    public async ValueTask<(bool HasItem, object? Item)> TryNextAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return (true, await CallMethodAsync("__next__", cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        catch (InvalidOperationException e) when (PyArguments.IsStopIteration(e))
        {
            return (false, null);
        }
    }

    /// <summary>Sends a value into a generator (<c>send(value)</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The next item the generator yields.</returns>
    /// <exception cref="InvalidOperationException">The generator finished (StopIteration).</exception>
    /// <exception cref="RemoteException">The referent has no <c>send</c> (not a generator).</exception>
    public object? Send(object? value) => CallMethod("send", PyTuple.Create(value));

    /// <summary>Raises an exception inside a generator (<c>throw(exc)</c>).</summary>
    /// <param name="exception">The Python exception, e.g. <c>PyException.Builtin("ValueError", "stop")</c>.</param>
    /// <returns>The next item the generator yields.</returns>
    public object? Throw(PyException exception) => CallMethod("throw", PyTuple.Create(exception));

    /// <summary>Closes a generator (<c>close()</c>).</summary>
    public void Close() => CallMethod("close");

    /// <summary>Enumerates the remaining items.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<object?> GetEnumerator()
    {
        while (TryNext(out var item))
        {
            yield return item;
        }
    }

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Enumerates the remaining items asynchronously (<c>await foreach (var x in it.ReadAllAsync())</c>). A method
    /// rather than <see cref="IAsyncEnumerable{T}"/>, so LINQ on the proxy is not ambiguous.
    /// </summary>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The items.</returns>
    public async IAsyncEnumerable<object?> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var (hasItem, item) = await TryNextAsync(cancellationToken).ConfigureAwait(false);
            if (!hasItem)
            {
                yield break;
            }

            yield return item;
        }
    }
}
