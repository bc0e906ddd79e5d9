using System.Collections;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <content>Tuples, lists, dicts, sets (batched as the C pickler batches them), and other .NET collections.</content>
internal sealed partial class Pickler
{
    // ---- containers

    private void SaveTuple(ReadOnlySpan<object?> items, object memoKey)
    {
        var n = items.Length;
        if (n == 0)
        {
            _out.WriteOpcode(Opcodes.EMPTY_TUPLE);
            return;
        }

        Enter();
        if (n <= 3)
        {
            // Only an item that can contain the tuple (a container or object) can have memoized it meanwhile.
            var scalarsOnly = true;
            foreach (var item in items)
            {
                scalarsOnly &= item is null or string or long or double or bool;
                Save(item);
            }

            if (!scalarsOnly && _memo.TryGetValue(memoKey, out var index))
            {
                // The tuple was reached through its own items (recursion): drop the items, fetch it from the memo.
                _out.WriteOpcodes(Opcodes.POP, n);
                WriteGet(index);
            }
            else
            {
                _out.WriteOpcode((byte)(Opcodes.TUPLE1 + n - 1));
                MemoPut(memoKey);
            }
        }
        else
        {
            _out.WriteOpcode(Opcodes.MARK);
            foreach (var item in items)
            {
                Save(item);
            }

            if (_memo.TryGetValue(memoKey, out var index))
            {
                _out.WriteOpcode(Opcodes.POP_MARK);
                WriteGet(index);
            }
            else
            {
                _out.WriteOpcode(Opcodes.TUPLE);
                MemoPut(memoKey);
            }
        }

        _depth--;
    }

    private void SaveList(ReadOnlySpan<object?> items, object memoKey)
    {
        Enter();
        _out.WriteOpcode(Opcodes.EMPTY_LIST);
        MemoPut(memoKey);

        // batch_list_exact: one item is APPEND; otherwise MARK … APPENDS per 1000.
        if (items.Length == 1)
        {
            Save(items[0]);
            _out.WriteOpcode(Opcodes.APPEND);
        }
        else if (items.Length > 1)
        {
            for (var start = 0; start < items.Length; start += BatchSize)
            {
                _out.WriteOpcode(Opcodes.MARK);
                foreach (var item in items.Slice(start, Math.Min(BatchSize, items.Length - start)))
                {
                    Save(item);
                }

                _out.WriteOpcode(Opcodes.APPENDS);
            }
        }

        _depth--;
    }

    private void SaveDict(PyDict dict)
    {
        Enter();
        _out.WriteOpcode(Opcodes.EMPTY_DICT);
        MemoPut(dict);
        if (dict.Count == 1)
        {
            foreach (var (k, v) in dict)
            {
                Save(k);
                Save(v);
            }

            _out.WriteOpcode(Opcodes.SETITEM);
        }
        else if (dict.Count > 1)
        {
            // batch_dict_exact: batches of 1000; like CPython, a size that is a multiple of 1000 ends with an empty MARK SETITEMS.
            var e = dict.GetEnumerator();
            int i;
            do
            {
                _out.WriteOpcode(Opcodes.MARK);
                i = 0;
                while (e.MoveNext())
                {
                    Save(e.Current.Key);
                    Save(e.Current.Value);
                    if (++i == BatchSize)
                    {
                        break;
                    }
                }

                _out.WriteOpcode(Opcodes.SETITEMS);
            }
            while (i == BatchSize);
        }

        _depth--;
    }

    private void SaveSet(PySet set)
    {
        if (_protocol < 4)
        {
            SaveReduce(new PyReduce(s_set, PyTuple.Create(set.ToList())), set);
            return;
        }

        Enter();
        _out.WriteOpcode(Opcodes.EMPTY_SET);
        MemoPut(set);
        if (set.Count > 0)
        {
            var e = set.GetEnumerator();
            int i;
            do
            {
                _out.WriteOpcode(Opcodes.MARK);
                i = 0;
                while (e.MoveNext())
                {
                    Save(e.Current);
                    if (++i == BatchSize)
                    {
                        break;
                    }
                }

                _out.WriteOpcode(Opcodes.ADDITEMS);
            }
            while (i == BatchSize);
        }

        _depth--;
    }

    private void SaveFrozenSet(PyFrozenSet set)
    {
        if (_protocol < 4)
        {
            SaveReduce(new PyReduce(s_frozenset, PyTuple.Create(set.ToList())), set);
            return;
        }

        Enter();
        _out.WriteOpcode(Opcodes.MARK);
        foreach (var item in set)
        {
            Save(item);
        }

        if (_memo.TryGetValue(set, out var index))
        {
            _out.WriteOpcode(Opcodes.POP_MARK);
            WriteGet(index);
        }
        else
        {
            _out.WriteOpcode(Opcodes.FROZENSET);
            MemoPut(set);
        }

        _depth--;
    }

    /// <summary>Lists and dicts of other CLR types: any IList, IDictionary, ITuple, set of object.</summary>
    private bool SaveClrCollection(object obj)
    {
        switch (obj)
        {
            case ITuple vt:
                var items = new object?[vt.Length];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = vt[i];
                }

                SaveTuple(items, obj);
                return true;
            case IDictionary map:
                var dict = new PyDict(map.Count);
                foreach (DictionaryEntry kv in map)
                {
                    dict[kv.Key] = kv.Value;
                }

                // Memoized under the original object, so a shared .NET dictionary stays shared.
                SaveConverted(dict, obj);
                return true;
            case ISet<object?> set:
                SaveConverted(new PySet(set), obj);
                return true;
            case IList list:
                var copy = new object?[list.Count];
                list.CopyTo(copy, 0);
                SaveList(copy, obj);
                return true;
            default:
                return false;
        }
    }

    private void SaveConverted(object converted, object original)
    {
        // Save the converted container, then make the original object resolve to the same memo entry.
        Save(converted);
        if (_memo.TryGetValue(converted, out var index))
        {
            _memo.Set(original, index);
        }
    }
}
