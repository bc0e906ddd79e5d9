using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>The rest of Python's dict methods, and asynchronous forms.</summary>
public sealed partial class DictProxy
{
    /// <summary>Returns the value of a key, or a default (<c>get(key, default)</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing.</param>
    /// <returns>The value or the default.</returns>
    public object? Get(object? key, object? defaultValue = null) => CallMethod("get", PyTuple.Create(key, defaultValue));

    /// <summary>Removes a key and returns its value (<c>pop(key)</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    /// <exception cref="KeyNotFoundException">The key is missing.</exception>
    public object? Pop(object? key) => CallMethod("pop", PyTuple.Create(key));

    /// <summary>Removes a key and returns its value, or a default (<c>pop(key, default)</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">What to return when the key is missing.</param>
    /// <returns>The value or the default.</returns>
    public object? Pop(object? key, object? defaultValue) => CallMethod("pop", PyTuple.Create(key, defaultValue));

    /// <summary>Removes and returns the last inserted item (<c>popitem()</c>).</summary>
    /// <returns>The item.</returns>
    /// <exception cref="KeyNotFoundException">The dict is empty.</exception>
    public KeyValuePair<object?, object?> PopItem()
    {
        var pair = (PyTuple)CallMethod("popitem")!;
        return new(pair[0], pair[1]);
    }

    /// <summary>Returns the value of a key, inserting a default first when it is missing (<c>setdefault</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="defaultValue">The value to insert when missing.</param>
    /// <returns>The value now stored.</returns>
    public object? SetDefault(object? key, object? defaultValue = null) => CallMethod("setdefault", PyTuple.Create(key, defaultValue));

    /// <summary>Stores every item of <paramref name="items"/> in one call (<c>update(mapping)</c>).</summary>
    /// <param name="items">The items (a dictionary, or key/value pairs).</param>
    public void Update(IEnumerable<KeyValuePair<object?, object?>> items) => CallMethod("update", PyTuple.Create(ToDict(items)));

    /// <summary>Returns a copy of the dict (<c>copy()</c>): a plain <see cref="PyDict"/>, not shared.</summary>
    /// <returns>The copy.</returns>
    public PyDict Copy() => (PyDict)CallMethod("copy")!;

    /// <summary>Returns a snapshot of the items (<c>items()</c>, copied as a list of pairs).</summary>
    /// <returns>The items in insertion order.</returns>
    public List<KeyValuePair<object?, object?>> Items()
    {
        var items = DillForms.AsList(CallMethod("items"));
        return items.ConvertAll(static i => { var t = (PyTuple)i!; return new KeyValuePair<object?, object?>(t[0], t[1]); });
    }

    /// <summary>Returns an iterator over the keys that lives in the manager (<c>iter(d)</c>: a <c>#PROXY</c> reply, type id <c>Iterator</c>).</summary>
    /// <returns>The iterator proxy; dispose it when done.</returns>
    public IteratorProxy Iter() => (IteratorProxy)CallMethod("__iter__")!;

    /// <summary>Gets the value of a key asynchronously.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The value.</returns>
    /// <exception cref="KeyNotFoundException">The key is missing.</exception>
    public ValueTask<object?> GetItemAsync(object? key, CancellationToken cancellationToken = default) =>
        CallMethodAsync("__getitem__", PyTuple.Create(key), cancellationToken: cancellationToken);

    /// <summary>Stores a value asynchronously.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the value is stored.</returns>
    public async ValueTask SetItemAsync(object? key, object? value, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("__setitem__", PyTuple.Create(key, value), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Returns whether the key is present, asynchronously.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True when present.</returns>
    public async ValueTask<bool> ContainsKeyAsync(object? key, CancellationToken cancellationToken = default) =>
        (bool)(await CallMethodAsync("__contains__", PyTuple.Create(key), cancellationToken: cancellationToken).ConfigureAwait(false))!;

    /// <summary>Returns the number of items asynchronously.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The count.</returns>
    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        checked((int)(long)(await CallMethodAsync("__len__", cancellationToken: cancellationToken).ConfigureAwait(false))!);

    /// <summary>Removes a key asynchronously.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the key is removed.</returns>
    /// <exception cref="KeyNotFoundException">The key is missing.</exception>
    public async ValueTask DeleteItemAsync(object? key, CancellationToken cancellationToken = default) =>
        await CallMethodAsync("__delitem__", PyTuple.Create(key), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>The items as a dict to send: a PyDict as it is, other pairs copied in order.</summary>
    internal static PyDict ToDict(IEnumerable<KeyValuePair<object?, object?>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items is PyDict dict)
        {
            return dict;
        }

        var result = new PyDict();
        foreach (var (k, v) in items)
        {
            result[k] = v;
        }

        return result;
    }
}
