using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>dict</c> in the manager (CPython's <c>DictProxy</c>), usable as an <see cref="IDictionary{TKey, TValue}"/>.
/// Keys and values are Python values (see the pickle README for the C# types); keys compare as Python compares
/// them, in the manager. Every member is one call; enumerating takes one <c>items()</c> snapshot.
/// </summary>
public sealed partial class DictProxy : BaseProxy, IDictionary<object?, object?>
{
    /// <summary>Initializes a new instance of the <see cref="DictProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public DictProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Gets the number of items (<c>len(d)</c>).</summary>
    public int Count => checked((int)(long)CallMethod("__len__")!);

    /// <summary>Gets a value indicating whether the dictionary is read-only: false.</summary>
    public bool IsReadOnly => false;

    /// <summary>Gets a snapshot of the keys (<c>keys()</c>, copied as a list).</summary>
    public ICollection<object?> Keys => DillForms.AsList(CallMethod("keys"));

    /// <summary>Gets a snapshot of the values (<c>values()</c>, copied as a list).</summary>
    public ICollection<object?> Values => DillForms.AsList(CallMethod("values"));

    /// <inheritdoc/>
    protected override string PythonProxyClass => "DictProxy";

    /// <summary>Gets or sets the value of a key (<c>d[key]</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    /// <exception cref="KeyNotFoundException">The key is missing (KeyError).</exception>
    public object? this[object? key]
    {
        get => CallMethod("__getitem__", PyTuple.Create(key));
        set => CallMethod("__setitem__", PyTuple.Create(key, value));
    }

    /// <summary>Adds a key that must not exist yet. Two calls (a check, then the store): not atomic.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException">The key exists.</exception>
    public void Add(object? key, object? value)
    {
        if (ContainsKey(key))
        {
            throw new ArgumentException($"The key {PyRepr.Repr(key)} is already in the managed dict", nameof(key));
        }

        this[key] = value;
    }

    /// <inheritdoc/>
    public void Add(KeyValuePair<object?, object?> item) => Add(item.Key, item.Value);

    /// <summary>Removes every item (<c>clear()</c>).</summary>
    public void Clear() => CallMethod("clear");

    /// <summary>Returns whether the key is present (<c>key in d</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>True when present.</returns>
    public bool ContainsKey(object? key) => (bool)CallMethod("__contains__", PyTuple.Create(key))!;

    /// <inheritdoc/>
    public bool Contains(KeyValuePair<object?, object?> item) =>
        TryGetValue(item.Key, out var value) && PyObjectComparer.Python.Equals(value, item.Value);

    /// <summary>Removes a key (<c>del d[key]</c>).</summary>
    /// <param name="key">The key.</param>
    /// <returns>False when it was missing.</returns>
    public bool Remove(object? key) => CallUnlessKeyError("__delitem__", PyTuple.Create(key));

    /// <inheritdoc/>
    public bool Remove(KeyValuePair<object?, object?> item) => Contains(item) && Remove(item.Key);

    /// <summary>Gets the value of a key, if present (one <c>__getitem__</c> call).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>False when the key is missing.</returns>
    public bool TryGetValue(object? key, [MaybeNullWhen(false)] out object? value)
    {
        try
        {
            value = CallMethod("__getitem__", PyTuple.Create(key));
            return true;
        }
        catch (KeyNotFoundException)
        {
            value = null;
            return false;
        }
    }

    /// <inheritdoc/>
    public void CopyTo(KeyValuePair<object?, object?>[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        Items().CopyTo(array, arrayIndex);
    }

    /// <summary>Enumerates a snapshot of the items (one <c>items()</c> call).</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<object?, object?>> GetEnumerator() => Items().GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
