using Multiprocess.Pickle;

namespace Multiprocess.Managers.Client;

/// <summary>Building the argument tuples proxies send, in Python's terms.</summary>
internal static class PyArguments
{
    /// <summary>A timeout as Python takes it: seconds as a float, or None to wait for ever (null or <see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public static object? Seconds(TimeSpan? timeout) =>
        timeout is { } t && t != Timeout.InfiniteTimeSpan ? t.TotalSeconds : null;

    /// <summary>Any sequence as the list Python receives.</summary>
    public static List<object?> List(System.Collections.IEnumerable items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = new List<object?>();
        foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>A Python callable: <c>"module:qualname"</c> becomes a global reference (pickled by name); anything else is sent as is.</summary>
    public static object? Callable(object? function, string paramName)
    {
        if (function is not string name)
        {
            return function;
        }

        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == name.Length - 1)
        {
            throw new ArgumentException($"'{name}' is not a Python function name of the form 'module:qualname' (e.g. 'operator:mul')", paramName);
        }

        return new PyGlobal(name[..colon], name[(colon + 1)..]);
    }

    /// <summary>The slice object <c>slice(start, stop, step)</c>, pickled as <c>builtins.slice</c> with its three fields.</summary>
    public static PyReduce Slice(long? start, long? stop, long? step) =>
        new(new PyGlobal("builtins", "slice"), PyTuple.Create(start, stop, step));

    /// <summary>Whether an exception is Python's StopIteration raised by the referent.</summary>
    public static bool IsStopIteration(Exception e) => e.GetPythonException()?.TypeName == "StopIteration";
}
