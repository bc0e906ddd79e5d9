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
            _out.OpcodeBoundary();
            return;
        }

        switch (obj)
        {
            case null:
                _out.WriteOpcode(Opcodes.NONE);
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
                _out.WriteOpcode(b ? Opcodes.NEWTRUE : Opcodes.NEWFALSE);
                break;
            case PyTuple { Count: 0 }:
                _out.WriteOpcode(Opcodes.EMPTY_TUPLE);
                break;
            default:
                if (!TryMemoGet(obj))
                {
                    SaveObject(obj);
                }

                break;
        }

        _out.OpcodeBoundary();
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
                _out.WriteOpcode(Opcodes.BINPERSID);
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

    private void WriteGet(int index) => _out.WriteGet(index);

    private void MemoPut(object obj) => _memo.Set(obj, WritePut());

    private int WritePut()
    {
        var index = _memoNext++;
        if (_protocol >= 4)
        {
            _out.WriteOpcode(Opcodes.MEMOIZE);
        }
        else
        {
            _out.WritePut(index);
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
