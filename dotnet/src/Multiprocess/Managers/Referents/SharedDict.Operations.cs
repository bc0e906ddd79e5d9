using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>The multi-step dict methods: <c>pop</c>, <c>popitem</c>, <c>update</c>, copies.</summary>
internal sealed partial class SharedDict
{
    private object? Pop(PyTuple args, PyDict kwargs)
    {
        if (kwargs.Count != 0)
        {
            throw PyErrors.TypeError("pop() takes no keyword arguments");
        }

        if (args.Count is < 1 or > 2)
        {
            throw PyErrors.TypeError($"pop expected at least 1 argument, got {args.Count}");
        }

        var key = DictKeys.Check(args[0]);
        lock (_dict)
        {
            if (Remove(_dict, key, out var value))
            {
                return value;
            }
        }

        return args.Count == 2 ? args[1] : throw PyErrors.KeyError(key);
    }

    private PyTuple PopItem()
    {
        lock (_dict)
        {
            // LIFO, as CPython: the last item in insertion order.
            object? lastKey = s_missing, lastValue = null;
            foreach (var (k, v) in _dict)
            {
                lastKey = k;
                lastValue = v;
            }

            if (ReferenceEquals(lastKey, s_missing))
            {
                throw PyErrors.KeyError("popitem(): dictionary is empty");
            }

            _dict.Remove(lastKey);
            return PyTuple.Create(lastKey, lastValue);
        }
    }

    private PyDict Copy()
    {
        lock (_dict)
        {
            var copy = new PyDict(_dict.Count);
            foreach (var (k, v) in _dict)
            {
                copy[k] = v;
            }

            return copy;
        }
    }

    private List<object?> Items()
    {
        lock (_dict)
        {
            var items = new List<object?>(_dict.Count);
            foreach (var (k, v) in _dict)
            {
                items.Add(PyTuple.Create(k, v));
            }

            return items;
        }
    }

    /// <summary><c>dict.update(other)</c>: a mapping, or pairs; the message texts are CPython's.</summary>
    private static void Update(PyDict target, object? other, SharedCallContext? context, string what)
    {
        if (other is PyDict source)
        {
            foreach (var (k, v) in source)
            {
                Set(target, k, v);
            }

            return;
        }

        if (other is PyReduce proxy && context?.Resolve(proxy) is SharedDict shared)
        {
            foreach (var item in shared.Items())
            {
                var pair = (PyTuple)item!;
                Set(target, pair[0], pair[1]);
            }

            return;
        }

        var items = PyIteration.ToList(other, context);
        for (var i = 0; i < items.Count; i++)
        {
            var element = items[i] switch
            {
                PyTuple t => t.ToArray(),
                List<object?> l => l.ToArray(),
                string or byte[] or PyDict or PySetBase or PyByteArray => PyIteration.ToList(items[i], null).ToArray(),
                _ => throw PyErrors.TypeError($"cannot convert {what} sequence element #{i} to a sequence"),
            };
            if (element.Length != 2)
            {
                throw PyErrors.ValueError($"{what} sequence element #{i} has length {element.Length}; 2 is required");
            }

            Set(target, element[0], element[1]);
        }
    }
}
