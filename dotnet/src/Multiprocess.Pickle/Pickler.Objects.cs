using System.Numerics;
using System.Text;
using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <content>Globals, reduce values, and the natural .NET types that Python rebuilds through a reduce.</content>
internal sealed partial class Pickler
{
    private static readonly PyGlobal s_ellipsis = new("builtins", "Ellipsis");
    private static readonly PyGlobal s_notImplemented = new("builtins", "NotImplemented");
    private static readonly PyGlobal s_bytes = new("builtins", "bytes");
    private static readonly PyGlobal s_bytearray = new("builtins", "bytearray");
    private static readonly PyGlobal s_set = new("builtins", "set");
    private static readonly PyGlobal s_frozenset = new("builtins", "frozenset");
    private static readonly PyGlobal s_complex = new("builtins", "complex");
    private static readonly PyGlobal s_codecsEncode = new("_codecs", "encode");
    private static readonly PyGlobal s_decimal = new("decimal", "Decimal");
    private static readonly PyGlobal s_uuid = new("uuid", "UUID");

    private PyReduce? _utc;

    /// <summary>save_global: STACK_GLOBAL (4+), GLOBAL (2–3, with Python 2 names at 2), or an extension code.</summary>
    private void SaveGlobal(PyGlobal g)
    {
        _globalMemo ??= [];
        var key = (g.Module, g.Name);
        if (_globalMemo.TryGetValue(key, out var index))
        {
            WriteGet(index);
            return;
        }

        if (_options.Extensions is { } ext && ext.TryGetCode(g.Module, g.Name, out var code))
        {
            // Extension codes are not memoized (_pickle.c save_global writes EXT and returns).
            _out.WriteExt(code);
            return;
        }

        if (_protocol >= 4)
        {
            SaveGlobalName(g.Module, isModule: true);
            SaveGlobalName(g.Name, isModule: false);
            _out.WriteOpcode(Opcodes.STACK_GLOBAL);
        }
        else if (g.Name.Contains('.', StringComparison.Ordinal))
        {
            // Before protocol 4 a nested qualname is getattr(parent, last).
            var dot = g.Name.LastIndexOf('.');
            SaveReduce(new PyReduce(PyGlobal.Getattr, PyTuple.Create(new PyGlobal(g.Module, g.Name[..dot]), g.Name[(dot + 1)..])), null);
            _globalMemo[key] = WritePut();
            return;
        }
        else
        {
            var (module, name) = (g.Module, g.Name);
            if (_protocol < 3)
            {
                if (CompatPickle.ReverseNameMapping.TryGetValue((module, name), out var mapped))
                {
                    (module, name) = mapped;
                }
                else if (CompatPickle.ReverseImportMapping.TryGetValue(module, out var m))
                {
                    module = m;
                }
            }

            if (!Ascii.IsValid(module) || !Ascii.IsValid(name) || module.Contains('\n', StringComparison.Ordinal) || name.Contains('\n', StringComparison.Ordinal))
            {
                throw new PicklingException($"can't pickle global identifier '{module}.{name}' using pickle protocol {_protocol}");
            }

            _out.WriteGlobal(module, name);
        }

        _globalMemo[key] = WritePut();
    }

    /// <summary>
    /// Module and qualname strings of STACK_GLOBAL, memoized as CPython's are: module names by identity (a str read
    /// from the pickle that CPython shared with a module name stays shared) and by content, since every class of a
    /// module shares that module's interned <c>__name__</c>; qualnames are distinct objects, written afresh.
    /// </summary>
    private void SaveGlobalName(string s, bool isModule)
    {
        if (isModule && (_memo.TryGetValue(s, out var index) || (_nameMemo is not null && _nameMemo.TryGetValue(s, out index))))
        {
            WriteGet(index);
        }
        else
        {
            SaveStr(s);
            index = WritePut();
            if (isModule)
            {
                _memo.TryAdd(s, index);
                (_nameMemo ??= new Dictionary<string, int>(StringComparer.Ordinal))[s] = index;
            }
        }

        _out.OpcodeBoundary();
    }

    /// <summary>save_reduce: construct, memoize (or fetch if the object was reached recursively), items, state.</summary>
    private void SaveReduce(PyReduce r, object? memoKey)
    {
        Enter();
        switch (r.Kind)
        {
            case PyReduceKind.NewObjEx:
                if (_protocol < 4)
                {
                    throw new PicklingException($"NEWOBJ_EX ({r.ClassGlobal}) needs protocol 4 or higher");
                }

                Save(r.Callable);
                Save(r.Args);
                Save(r.Kwargs);
                _out.WriteOpcode(Opcodes.NEWOBJ_EX);
                break;
            case PyReduceKind.NewObj:
                Save(r.Callable);
                Save(r.Args);
                _out.WriteOpcode(Opcodes.NEWOBJ);
                break;
            case PyReduceKind.Obj:
                _out.WriteOpcode(Opcodes.MARK);
                Save(r.Callable);
                foreach (var arg in r.Args.AsSpan())
                {
                    Save(arg);
                }

                _out.WriteOpcode(Opcodes.OBJ);
                break;
            default:
                Save(r.Callable);
                Save(r.Args);
                _out.WriteOpcode(Opcodes.REDUCE);
                break;
        }

        if (memoKey is not null)
        {
            if (_memo.TryGetValue(memoKey, out var index))
            {
                _out.WriteOpcode(Opcodes.POP);
                WriteGet(index);
                _depth--;
                return;
            }

            MemoPut(memoKey);
        }

        if (r.ListItems is { Count: > 0 } listItems)
        {
            // batch_list (generic iterator): a lone last item is APPEND, otherwise MARK … APPENDS per 1000.
            for (var start = 0; start < listItems.Count; start += BatchSize)
            {
                var n = Math.Min(BatchSize, listItems.Count - start);
                if (n == 1)
                {
                    Save(listItems[start]);
                    _out.WriteOpcode(Opcodes.APPEND);
                    break;
                }

                _out.WriteOpcode(Opcodes.MARK);
                for (var i = start; i < start + n; i++)
                {
                    Save(listItems[i]);
                }

                _out.WriteOpcode(Opcodes.APPENDS);
            }
        }

        if (r.DictItems is { Count: > 0 } dictItems)
        {
            for (var start = 0; start < dictItems.Count; start += BatchSize)
            {
                var n = Math.Min(BatchSize, dictItems.Count - start);
                if (n == 1)
                {
                    Save(dictItems[start].Key);
                    Save(dictItems[start].Value);
                    _out.WriteOpcode(Opcodes.SETITEM);
                    break;
                }

                _out.WriteOpcode(Opcodes.MARK);
                for (var i = start; i < start + n; i++)
                {
                    Save(dictItems[i].Key);
                    Save(dictItems[i].Value);
                }

                _out.WriteOpcode(Opcodes.SETITEMS);
            }
        }

        if (r.State is not null)
        {
            Save(r.State);
            _out.WriteOpcode(Opcodes.BUILD);
        }

        if (r.PostCalls is { } calls)
        {
            foreach (var call in calls)
            {
                Save(call);
                _out.WriteOpcode(Opcodes.POP);
            }
        }

        _depth--;
    }

    /// <summary>The natural .NET values: numbers of other widths, datetime types, Decimal, UUID, complex, byte memory.</summary>
    private bool SaveNatural(object obj)
    {
        switch (obj)
        {
            case DateTime dt:
                if (dt.Kind == DateTimeKind.Utc)
                {
                    SaveReduce(new PyReduce(PyDateTime.DateTimeClass, PyTuple.Create(PyDateTime.DateTimeState(dt), Utc())), obj);
                }
                else
                {
                    SaveReduce(new PyReduce(PyDateTime.DateTimeClass, PyTuple.Create(PyDateTime.DateTimeState(dt))), obj);
                }

                return true;
            case DateTimeOffset dto:
                var tz = dto.Offset == TimeSpan.Zero ? Utc() : PyDateTime.TimeZone(dto.Offset);
                SaveReduce(new PyReduce(PyDateTime.DateTimeClass, PyTuple.Create(PyDateTime.DateTimeState(dto.DateTime), tz)), obj);
                return true;
            case DateOnly d:
                SaveReduce(new PyReduce(PyDateTime.DateClass, PyTuple.Create(PyDateTime.DateState(d))), obj);
                return true;
            case TimeOnly t:
                SaveReduce(new PyReduce(PyDateTime.TimeClass, PyTuple.Create(PyDateTime.TimeState(t))), obj);
                return true;
            case TimeSpan ts:
                var (days, seconds, us) = PyDateTime.SplitTimeDelta(ts);
                SaveReduce(new PyReduce(PyDateTime.TimeDeltaClass, PyTuple.Create(days, seconds, us)), obj);
                return true;
            case Complex c:
                SaveReduce(new PyReduce(s_complex, PyTuple.Create(c.Real, c.Imaginary)), obj);
                return true;
            case PyDecimal dec:
                SaveReduce(new PyReduce(s_decimal, PyTuple.Create(dec.ToString())), obj);
                return true;
            case decimal m:
                SaveReduce(new PyReduce(s_decimal, PyTuple.Create(PyDecimal.FromDecimal(m).ToString())), obj);
                return true;
            case Guid g:
                Span<byte> bytes = stackalloc byte[16];
                g.TryWriteBytes(bytes, bigEndian: true, out _);
                var n = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
                object value = n <= long.MaxValue ? (long)n : n;
                SaveReduce(PyReduce.NewObj(s_uuid, PyTuple.Empty, new PyDict { ["int"] = value }), obj);
                return true;
            case ReadOnlyMemory<byte> rom:
                SaveBytes(rom, obj);
                return true;
            case Memory<byte> mem:
                SaveBytes(mem, obj);
                return true;
            case ArraySegment<byte> seg:
                SaveBytes(seg.AsMemory(), obj);
                return true;
            case char ch:
                Save(ch.ToString());
                return true;
        }

        if (PyObjectComparer.TryAsNumber(obj, out var number))
        {
            switch (number)
            {
                case long l: SaveLong(l); break;
                case double d: SaveFloat(d); break;
                case BigInteger b: SaveBigInteger(b); break;
                default: Save(number); break;
            }

            return true;
        }

        return false;
    }

    /// <summary>datetime.timezone.utc is a singleton in Python: one instance per pickle, so repeats are memo hits as in CPython.</summary>
    private PyReduce Utc() => _utc ??= PyDateTime.TimeZone(TimeSpan.Zero);
}
