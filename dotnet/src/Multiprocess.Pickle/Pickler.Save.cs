using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <content>save(): dispatch by type, the memo, and the builtin scalar and container writers.</content>
internal sealed partial class Pickler
{
    private readonly IdentityMemo _memo = new();
    private Dictionary<(string, string), int>? _globalMemo;
    private Dictionary<string, int>? _nameMemo;
    private int _memoNext;

    private void Save(object? obj)
    {
        if (_hasPersistentId && SavePersistent(obj))
        {
            OpcodeBoundary();
            return;
        }

        switch (obj)
        {
            case null:
                WriteByte(Opcodes.NONE);
                break;
            case string s:
                if (!TryMemoGet(s))
                {
                    SaveStr(s);
                    MemoPut(s);
                }

                break;
            case long l:
                SaveLong(l);
                break;
            case double d:
                SaveFloat(d);
                break;
            case bool b:
                WriteByte(b ? Opcodes.NEWTRUE : Opcodes.NEWFALSE);
                break;
            case PyTuple { Count: 0 }:
                WriteByte(Opcodes.EMPTY_TUPLE);
                break;
            default:
                if (!TryMemoGet(obj))
                {
                    SaveObject(obj);
                }

                break;
        }

        OpcodeBoundary();
    }

    private void SaveObject(object obj)
    {
        switch (obj)
        {
            case PyTuple t:
                SaveTuple(t.AsSpan(), t);
                return;
            case List<object?> list:
                SaveList(CollectionsMarshal.AsSpan(list), list);
                return;
            case PyDict dict:
                SaveDict(dict);
                return;
            case byte[] bytes:
                SaveBytes(bytes, bytes);
                return;
            case int i:
                SaveLong(i);
                return;
            case BigInteger big:
                SaveBigInteger(big);
                return;
            case PyGlobal g:
                SaveGlobal(g);
                return;
            case PyReduce r:
                SaveReduce(r, r);
                return;
            case PySet set:
                SaveSet(set);
                return;
            case PyFrozenSet fs:
                SaveFrozenSet(fs);
                return;
            case PyByteArray ba:
                SaveByteArray(ba.Memory, ba);
                return;
            case PickleBuffer pb:
                SavePickleBuffer(pb);
                return;
            case PySingleton singleton:
                SaveGlobal(singleton == PySingleton.Ellipsis ? s_ellipsis : s_notImplemented);
                return;
            case PyPersistentId pid:
                Save(pid.Id);
                WriteByte(Opcodes.BINPERSID);
                return;
            case object?[] array:
                SaveList(array, array);
                return;
        }

        if (SaveNatural(obj))
        {
            return;
        }

        if (_options.Registry.TryGetByType(obj.GetType(), out var binding))
        {
            PyReduce reduced;
            try
            {
                reduced = binding.Reduce(obj);
            }
            catch (Exception e) when (e is not PicklingException)
            {
                throw new PicklingException($"the binding of {binding.ClrType.Name} to {binding.PythonClass} failed to reduce a value: {e.Message}", e);
            }

            SaveReduce(reduced, obj);
            return;
        }

        if (SaveClrCollection(obj))
        {
            return;
        }

        throw new PicklingException(
            $"Can't pickle a {obj.GetType().FullName}: it has no Python equivalent; register it in a PyTypeRegistry or use PyReduce");
    }

    // ---- memo

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryMemoGet(object obj)
    {
        if (_memo.TryGetValue(obj, out var index))
        {
            WriteGet(index);
            return true;
        }

        return false;
    }

    private void WriteGet(int index)
    {
        if (index < 256)
        {
            var s = Reserve(2);
            s[0] = Opcodes.BINGET;
            s[1] = (byte)index;
        }
        else
        {
            var s = Reserve(5);
            s[0] = Opcodes.LONG_BINGET;
            BinaryPrimitives.WriteUInt32LittleEndian(s[1..], (uint)index);
        }
    }

    private void MemoPut(object obj) => _memo.Set(obj, WritePut());

    private int WritePut()
    {
        var index = _memoNext++;
        if (_protocol >= 4)
        {
            WriteByte(Opcodes.MEMOIZE);
        }
        else if (index < 256)
        {
            var s = Reserve(2);
            s[0] = Opcodes.BINPUT;
            s[1] = (byte)index;
        }
        else
        {
            var s = Reserve(5);
            s[0] = Opcodes.LONG_BINPUT;
            BinaryPrimitives.WriteUInt32LittleEndian(s[1..], (uint)index);
        }

        return index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enter()
    {
        if (++_depth > _maxDepth)
        {
            ThrowTooDeep();
        }

        // Each level uses a bounded amount of stack, so checking every 32 levels is enough.
        if ((_depth & 31) == 0)
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
        }
    }

    private void ThrowTooDeep() =>
        throw new PicklingException($"the value nests deeper than {_maxDepth} containers (PickleSecurity.MaxDepth)");

    // ---- scalars

    private void SaveLong(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue)
        {
            if (v is >= 0 and <= 0xff)
            {
                var s = Reserve(2);
                s[0] = Opcodes.BININT1;
                s[1] = (byte)v;
            }
            else if (v is >= 0 and <= 0xffff)
            {
                var s = Reserve(3);
                s[0] = Opcodes.BININT2;
                BinaryPrimitives.WriteUInt16LittleEndian(s[1..], (ushort)v);
            }
            else
            {
                var s = Reserve(5);
                s[0] = Opcodes.BININT;
                BinaryPrimitives.WriteInt32LittleEndian(s[1..], (int)v);
            }

            return;
        }

        // LONG1 with the minimal two's-complement bytes: significant bits plus a sign bit, rounded up to bytes.
        var bits = 64 - BitOperations.LeadingZeroCount((ulong)(v < 0 ? ~v : v)) + 1;
        var n = (bits + 7) / 8;
        var span = Reserve(2 + n);
        span[0] = Opcodes.LONG1;
        span[1] = (byte)n;
        Span<byte> le = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(le, v);
        le[..n].CopyTo(span[2..]);
    }

    private void SaveBigInteger(BigInteger v)
    {
        if (v >= long.MinValue && v <= long.MaxValue)
        {
            SaveLong((long)v);
            return;
        }

        var n = v.GetByteCount();
        if (n < 256)
        {
            var s = Reserve(2 + n);
            s[0] = Opcodes.LONG1;
            s[1] = (byte)n;
            v.TryWriteBytes(s[2..], out _);
        }
        else
        {
            var s = Reserve(5 + n);
            s[0] = Opcodes.LONG4;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], n);
            v.TryWriteBytes(s[5..], out _);
        }
    }

    private void SaveFloat(double d)
    {
        var s = Reserve(9);
        s[0] = Opcodes.BINFLOAT;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], d);
    }

    private void SaveStr(string s)
    {
        if (s.Length <= 0xff && _protocol >= 4)
        {
            // Most strings are short ASCII: copy them straight in, falling back when a char is not ASCII.
            var span = Reserve(2 + s.Length);
            if (s.Length <= 16 ? NarrowShortAscii(s, span[2..]) : System.Text.Ascii.FromUtf16(s, span[2..], out _) == System.Buffers.OperationStatus.Done)
            {
                span[0] = Opcodes.SHORT_BINUNICODE;
                span[1] = (byte)s.Length;
                return;
            }

            _pos -= 2 + s.Length;
        }

        var n = PyUtf8.GetByteCount(s);
        Span<byte> header = stackalloc byte[9];
        int h;
        if (_protocol >= 4 && n <= 0xff)
        {
            header[0] = Opcodes.SHORT_BINUNICODE;
            header[1] = (byte)n;
            h = 2;
        }
        else
        {
            header[0] = Opcodes.BINUNICODE;
            BinaryPrimitives.WriteUInt32LittleEndian(header[1..], (uint)n);
            h = 5;
        }

        if (n < FrameSizeTarget)
        {
            var span = Reserve(h + n);
            header[..h].CopyTo(span);
            PyUtf8.Encode(s, span[h..]);
            return;
        }

        var payload = GC.AllocateUninitializedArray<byte>(n);
        PyUtf8.Encode(s, payload);
        WriteHeaderAndPayload(header[..h], payload);
    }

    /// <summary>Copies a short ASCII string byte by byte (cheaper than the vectorized call for a few chars).</summary>
    private static bool NarrowShortAscii(string s, Span<byte> destination)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c >= 0x80)
            {
                return false;
            }

            destination[i] = (byte)c;
        }

        return true;
    }

    private void SaveBytes(ReadOnlyMemory<byte> data, object memoKey)
    {
        if (_protocol < 3)
        {
            // Protocol 2 has no bytes opcode: _codecs.encode(latin-1 text, 'latin1'), or bytes() when empty.
            var r = data.Length == 0
                ? new PyReduce(s_bytes, PyTuple.Empty)
                : new PyReduce(s_codecsEncode, PyTuple.Create(System.Text.Encoding.Latin1.GetString(data.Span), "latin1"));
            SaveReduce(r, memoKey);
            return;
        }

        Span<byte> header = stackalloc byte[9];
        int h;
        if (data.Length <= 0xff)
        {
            header[0] = Opcodes.SHORT_BINBYTES;
            header[1] = (byte)data.Length;
            h = 2;
        }
        else
        {
            header[0] = Opcodes.BINBYTES;
            BinaryPrimitives.WriteUInt32LittleEndian(header[1..], (uint)data.Length);
            h = 5;
        }

        WriteHeaderAndPayload(header[..h], data);
        MemoPut(memoKey);
    }

    private void SaveByteArray(ReadOnlyMemory<byte> data, object memoKey)
    {
        if (_protocol < 5)
        {
            var r = data.Length == 0
                ? new PyReduce(s_bytearray, PyTuple.Empty)
                : new PyReduce(s_bytearray, PyTuple.Create(data.ToArray()));
            SaveReduce(r, memoKey);
            return;
        }

        Span<byte> header = stackalloc byte[9];
        header[0] = Opcodes.BYTEARRAY8;
        BinaryPrimitives.WriteUInt64LittleEndian(header[1..], (ulong)data.Length);
        WriteHeaderAndPayload(header, data);
        MemoPut(memoKey);
    }

    private void SavePickleBuffer(PickleBuffer pb)
    {
        if (_protocol < 5)
        {
            throw new PicklingException("PickleBuffer can only be pickled with protocol >= 5");
        }

        var inBand = _options.BufferCallback is not { } callback || callback(pb);
        if (inBand)
        {
            if (pb.IsReadOnly)
            {
                SaveBytes(pb.Memory, pb);
            }
            else
            {
                SaveByteArray(pb.Memory, pb);
            }

            return;
        }

        WriteByte(Opcodes.NEXT_BUFFER);
        if (pb.IsReadOnly)
        {
            WriteByte(Opcodes.READONLY_BUFFER);
        }
    }

    private bool SavePersistent(object? obj)
    {
        var pid = _options.PersistentId!(obj);
        if (pid is null)
        {
            return false;
        }

        // save(pid, pers_save=1): the id itself is not offered to the hook again.
        SaveWithoutPersistentHook(pid);
        WriteByte(Opcodes.BINPERSID);
        return true;
    }

    private void SaveWithoutPersistentHook(object? obj)
    {
        switch (obj)
        {
            case null: WriteByte(Opcodes.NONE); break;
            case string s:
                if (!TryMemoGet(s))
                {
                    SaveStr(s);
                    MemoPut(s);
                }

                break;
            case long l: SaveLong(l); break;
            case double d: SaveFloat(d); break;
            case bool b: WriteByte(b ? Opcodes.NEWTRUE : Opcodes.NEWFALSE); break;
            default:
                if (!TryMemoGet(obj))
                {
                    SaveObject(obj);
                }

                break;
        }
    }

    // ---- containers

    private void SaveTuple(ReadOnlySpan<object?> items, object memoKey)
    {
        var n = items.Length;
        if (n == 0)
        {
            WriteByte(Opcodes.EMPTY_TUPLE);
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
                Reserve(n).Fill(Opcodes.POP);
                WriteGet(index);
            }
            else
            {
                WriteByte((byte)(Opcodes.TUPLE1 + n - 1));
                MemoPut(memoKey);
            }
        }
        else
        {
            WriteByte(Opcodes.MARK);
            foreach (var item in items)
            {
                Save(item);
            }

            if (_memo.TryGetValue(memoKey, out var index))
            {
                WriteByte(Opcodes.POP_MARK);
                WriteGet(index);
            }
            else
            {
                WriteByte(Opcodes.TUPLE);
                MemoPut(memoKey);
            }
        }

        _depth--;
    }

    private void SaveList(ReadOnlySpan<object?> items, object memoKey)
    {
        Enter();
        WriteByte(Opcodes.EMPTY_LIST);
        MemoPut(memoKey);

        // batch_list_exact: one item is APPEND; otherwise MARK … APPENDS per 1000.
        if (items.Length == 1)
        {
            Save(items[0]);
            WriteByte(Opcodes.APPEND);
        }
        else if (items.Length > 1)
        {
            for (var start = 0; start < items.Length; start += BatchSize)
            {
                WriteByte(Opcodes.MARK);
                foreach (var item in items.Slice(start, Math.Min(BatchSize, items.Length - start)))
                {
                    Save(item);
                }

                WriteByte(Opcodes.APPENDS);
            }
        }

        _depth--;
    }

    private void SaveDict(PyDict dict)
    {
        Enter();
        WriteByte(Opcodes.EMPTY_DICT);
        MemoPut(dict);
        if (dict.Count == 1)
        {
            foreach (var (k, v) in dict)
            {
                Save(k);
                Save(v);
            }

            WriteByte(Opcodes.SETITEM);
        }
        else if (dict.Count > 1)
        {
            // batch_dict_exact: batches of 1000; like CPython, a size that is a multiple of 1000 ends with an empty MARK SETITEMS.
            var e = dict.GetEnumerator();
            int i;
            do
            {
                WriteByte(Opcodes.MARK);
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

                WriteByte(Opcodes.SETITEMS);
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
        WriteByte(Opcodes.EMPTY_SET);
        MemoPut(set);
        if (set.Count > 0)
        {
            var e = set.GetEnumerator();
            int i;
            do
            {
                WriteByte(Opcodes.MARK);
                i = 0;
                while (e.MoveNext())
                {
                    Save(e.Current);
                    if (++i == BatchSize)
                    {
                        break;
                    }
                }

                WriteByte(Opcodes.ADDITEMS);
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
        WriteByte(Opcodes.MARK);
        foreach (var item in set)
        {
            Save(item);
        }

        if (_memo.TryGetValue(set, out var index))
        {
            WriteByte(Opcodes.POP_MARK);
            WriteGet(index);
        }
        else
        {
            WriteByte(Opcodes.FROZENSET);
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
