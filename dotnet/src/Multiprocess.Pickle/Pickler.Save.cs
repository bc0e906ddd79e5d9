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
}
