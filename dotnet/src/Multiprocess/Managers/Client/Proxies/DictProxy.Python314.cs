using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client.Proxies;

/// <summary>
/// What CPython 3.14's <c>DictProxy</c> exposes beyond 3.13's (Lib/multiprocessing/managers.py, <c>_BaseDictProxy</c>):
/// the <c>|</c> operators (<c>__or__</c>, <c>__ror__</c>, <c>__ior__</c>), <c>__reversed__</c> and <c>fromkeys</c>.
/// Against an older manager they fail before any call, naming what it exposes.
/// </summary>
public sealed partial class DictProxy
{
    private const string Since314 = "CPython 3.14";

    /// <summary>Returns <c>d | items</c>: a new plain dict with the items of the shared one, then <paramref name="items"/> (not shared).</summary>
    /// <param name="items">The items merged in (they win on equal keys).</param>
    /// <returns>The merged dict.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>__or__</c> (CPython 3.8–3.13, <c>multiprocess</c> before 0.70.19).</exception>
    public PyDict Or(IEnumerable<KeyValuePair<object?, object?>> items)
    {
        RequireExposed("__or__", Since314);
        return (PyDict)CallMethod("__or__", PyTuple.Create(ToDict(items)))!;
    }

    /// <summary>Returns <c>items | d</c>: a new plain dict with <paramref name="items"/>, then the shared dict's items (which win on equal keys).</summary>
    /// <param name="items">The items first.</param>
    /// <returns>The merged dict.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>__ror__</c>.</exception>
    public PyDict ReverseOr(IEnumerable<KeyValuePair<object?, object?>> items)
    {
        RequireExposed("__ror__", Since314);
        return (PyDict)CallMethod("__ror__", PyTuple.Create(ToDict(items)))!;
    }

    /// <summary>Merges <paramref name="items"/> into the shared dict (<c>d |= items</c>, in one call).</summary>
    /// <param name="items">The items.</param>
    /// <exception cref="NotSupportedException">The manager does not expose <c>__ior__</c>.</exception>
    public void OrInPlace(IEnumerable<KeyValuePair<object?, object?>> items)
    {
        RequireExposed("__ior__", Since314);
        CallMethod("__ior__", PyTuple.Create(ToDict(items)));
    }

    /// <summary>Returns the keys last inserted first (<c>reversed(d)</c>; the manager sends its reverse iterator as the keys left to go).</summary>
    /// <returns>The keys, newest first.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>__reversed__</c>.</exception>
    public List<object?> Reversed()
    {
        RequireExposed("__reversed__", Since314);
        return KeysOfIterator(CallMethod("__reversed__"));
    }

    /// <summary>Returns <c>dict.fromkeys(keys, value)</c>, made in the manager: a new plain dict (not shared), the shared one unchanged.</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="value">Every key's value.</param>
    /// <returns>The new dict.</returns>
    /// <exception cref="NotSupportedException">The manager does not expose <c>fromkeys</c>.</exception>
    public PyDict FromKeys(System.Collections.IEnumerable keys, object? value = null)
    {
        RequireExposed("fromkeys", Since314);
        return (PyDict)CallMethod("fromkeys", PyTuple.Create(PyArguments.List(keys), value))!;
    }

    /// <summary>
    /// A dict key iterator as it comes back: CPython pickles <c>dict_reversekeyiterator</c> as <c>iter(list)</c> of the
    /// keys it has left (Objects/dictobject.c, <c>dictiter_reduce</c>); a C# server or a list reads the same.
    /// </summary>
    private static List<object?> KeysOfIterator(object? reply) => reply switch
    {
        List<object?> keys => keys,
        PyReduce { Callable: PyGlobal g, Args: { Count: 1 } a } when g.Is("builtins", "iter") && a[0] is List<object?> keys => keys,
        PyReduce { Callable: PyGlobal g, Args: { Count: 1 } a } when g.Is("builtins", "iter") && a[0] is PyTuple t => [.. t],
        _ => throw new InvalidCastException($"Expected the keys of a dict iterator from the manager, got {PyRepr.Repr(reply)}"),
    };
}
