using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>The rest of Python's list methods, and asynchronous forms.</summary>
public sealed partial class ListProxy
{
    /// <summary>Appends every item of <paramref name="items"/> in one call (<c>extend</c>, also <c>l += items</c>).</summary>
    /// <param name="items">The items.</param>
    public void Extend(System.Collections.IEnumerable items) => CallMethod("extend", PyTuple.Create(PyArguments.List(items)));

    /// <summary>Removes and returns the item at <paramref name="index"/> (<c>pop(index)</c>).</summary>
    /// <param name="index">The index; -1 is the last item.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The list is empty or the index is out of range.</exception>
    public object? Pop(int index = -1) => CallMethod("pop", index == -1 ? null : PyTuple.Create((long)index));

    /// <summary>Counts the items equal to <paramref name="item"/> (Python's <c>count</c>).</summary>
    /// <param name="item">The item.</param>
    /// <returns>How many are equal.</returns>
    public long CountOf(object? item) => (long)CallMethod("count", PyTuple.Create(item))!;

    /// <summary>Returns the index of the first equal item in <c>[start:stop]</c> (<c>index</c>).</summary>
    /// <param name="item">The item.</param>
    /// <param name="start">Where to start.</param>
    /// <param name="stop">Where to stop; null for the end.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentException">The item is absent (ValueError).</exception>
    public long Index(object? item, long start = 0, long? stop = null) =>
        (long)CallMethod("index", stop is { } s ? PyTuple.Create(item, start, s) : start != 0 ? PyTuple.Create(item, start) : PyTuple.Create(item))!;

    /// <summary>Reverses the list in place (<c>reverse</c>).</summary>
    public void Reverse() => CallMethod("reverse");

    /// <summary>Sorts the list in place (<c>sort(key=None, reverse=False)</c>).</summary>
    /// <param name="key">A Python function as <c>"module:qualname"</c> (e.g. <c>"builtins:abs"</c>), or null.</param>
    /// <param name="reverse">Whether to sort descending.</param>
    /// <exception cref="ArgumentException">The items cannot be compared (TypeError).</exception>
    public void Sort(object? key = null, bool reverse = false)
    {
        var kwargs = new PyDict();
        if (key is not null)
        {
            kwargs["key"] = PyArguments.Callable(key, nameof(key));
        }

        if (reverse)
        {
            kwargs["reverse"] = true;
        }

        CallMethod("sort", null, kwargs);
    }

    /// <summary>Returns the items of <c>l[start:stop:step]</c> as a new list (not shared).</summary>
    /// <param name="start">The start; null for the beginning.</param>
    /// <param name="stop">The stop; null for the end.</param>
    /// <param name="step">The step; null for 1.</param>
    /// <returns>The items.</returns>
    public List<object?> Slice(long? start, long? stop, long? step = null) =>
        (List<object?>)CallMethod("__getitem__", PyTuple.Create(PyArguments.Slice(start, stop, step)))!;

    /// <summary>Returns <c>l + items</c> as a new list (not shared).</summary>
    /// <param name="items">The items to concatenate.</param>
    /// <returns>The new list.</returns>
    public List<object?> Concat(System.Collections.IEnumerable items) =>
        (List<object?>)CallMethod("__add__", PyTuple.Create(PyArguments.List(items)))!;

    /// <summary>Returns <c>l * n</c> as a new list (not shared).</summary>
    /// <param name="n">How many times.</param>
    /// <returns>The new list.</returns>
    public List<object?> Repeat(long n) => (List<object?>)CallMethod("__mul__", PyTuple.Create(n))!;

    /// <summary>Repeats the list in place (<c>l *= n</c>).</summary>
    /// <param name="n">How many times.</param>
    public void RepeatInPlace(long n) => CallMethod("__imul__", PyTuple.Create(n));

    /// <summary>Appends an item asynchronously.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the item is appended.</returns>
    public async ValueTask AppendAsync(object? item, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("append", PyTuple.Create(item), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Gets an item asynchronously.</summary>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public ValueTask<object?> GetItemAsync(int index, CancellationToken cancellationToken = default) =>
        CallMethodAsync("__getitem__", PyTuple.Create((long)index), cancellationToken: cancellationToken);

    /// <summary>Sets an item asynchronously.</summary>
    /// <param name="index">The index.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the item is set.</returns>
    public async ValueTask SetItemAsync(int index, object? value, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("__setitem__", PyTuple.Create((long)index, value), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Returns the number of items asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        checked((int)(long)(await CallMethodAsync("__len__", cancellationToken: cancellationToken).ConfigureAwait(false))!);

    /// <summary>Returns a copy of the list asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The items.</returns>
    public async ValueTask<List<object?>> ToListAsync(CancellationToken cancellationToken = default) =>
        (List<object?>)(await GetValueAsync(cancellationToken).ConfigureAwait(false))!;
}
