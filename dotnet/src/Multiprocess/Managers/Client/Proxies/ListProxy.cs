using System.Collections;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// A <c>list</c> in the manager (CPython's <c>ListProxy</c>), usable as an <see cref="IList{T}"/>. Every member is one
/// call; enumerating takes one copy (<c>#GETVALUE</c>). Negative indices count from the end, as in Python.
/// </summary>
public sealed partial class ListProxy : BaseProxy, IList<object?>
{
    /// <summary>Initializes a new instance of the <see cref="ListProxy"/> class.</summary>
    /// <param name="args">What the manager passes to proxy factories.</param>
    public ListProxy(ProxyArgs args)
        : base(args)
    {
    }

    /// <summary>Gets the number of items (<c>len(l)</c>).</summary>
    public int Count => checked((int)(long)CallMethod("__len__")!);

    /// <summary>Gets a value indicating whether the list is read-only: false.</summary>
    public bool IsReadOnly => false;

    /// <inheritdoc/>
    protected override string PythonProxyClass => "ListProxy";

    /// <summary>Gets or sets an item (<c>l[index]</c>).</summary>
    /// <param name="index">The index; negative counts from the end.</param>
    /// <returns>The item.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range (IndexError).</exception>
    public object? this[int index]
    {
        get => CallMethod("__getitem__", PyTuple.Create((long)index));
        set => CallMethod("__setitem__", PyTuple.Create((long)index, value));
    }

    /// <summary>Appends an item (<c>append</c>).</summary>
    /// <param name="item">The item.</param>
    public void Add(object? item) => CallMethod("append", PyTuple.Create(item));

    /// <summary>Appends an item (<c>append</c>).</summary>
    /// <param name="item">The item.</param>
    public void Append(object? item) => Add(item);

    /// <summary>Removes every item (<c>del l[:]</c>: list proxies expose no <c>clear</c>).</summary>
    public void Clear() => CallMethod("__delitem__", PyTuple.Create(PyArguments.Slice(null, null, null)));

    /// <summary>Returns whether the item is in the list (<c>item in l</c>, Python equality).</summary>
    /// <param name="item">The item.</param>
    /// <returns>True when present.</returns>
    public bool Contains(object? item) => (bool)CallMethod("__contains__", PyTuple.Create(item))!;

    /// <inheritdoc/>
    public void CopyTo(object?[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        ToList().CopyTo(array, arrayIndex);
    }

    /// <summary>Returns the index of the first equal item, or -1 (<c>index</c>, ValueError meaning absent).</summary>
    /// <param name="item">The item.</param>
    /// <returns>The index or -1.</returns>
    public int IndexOf(object? item)
    {
        try
        {
            return checked((int)(long)CallMethod("index", PyTuple.Create(item))!);
        }
        catch (ArgumentException e) when (e.GetPythonException() is { TypeName: "ValueError" })
        {
            return -1;
        }
    }

    /// <summary>Inserts an item before <paramref name="index"/> (<c>insert</c>).</summary>
    /// <param name="index">The position; Python clamps it to the list.</param>
    /// <param name="item">The item.</param>
    public void Insert(int index, object? item) => CallMethod("insert", PyTuple.Create((long)index, item));

    /// <summary>Removes the first equal item (<c>remove</c>).</summary>
    /// <param name="item">The item.</param>
    /// <returns>False when it was absent (ValueError).</returns>
    public bool Remove(object? item)
    {
        try
        {
            CallMethod("remove", PyTuple.Create(item));
            return true;
        }
        catch (ArgumentException e) when (e.GetPythonException() is { TypeName: "ValueError" })
        {
            return false;
        }
    }

    /// <summary>Removes the item at <paramref name="index"/> (<c>del l[index]</c>).</summary>
    /// <param name="index">The index.</param>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public void RemoveAt(int index) => CallMethod("__delitem__", PyTuple.Create((long)index));

    /// <summary>Returns a copy of the list (<c>#GETVALUE</c>).</summary>
    /// <returns>The items.</returns>
    public List<object?> ToList() => (List<object?>)GetValue()!;

    /// <summary>Enumerates a copy of the list taken now (one call).</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<object?> GetEnumerator() => ToList().GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
