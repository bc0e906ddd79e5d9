using Multiprocess.Pickle.Internal;

namespace Multiprocess.Pickle;

/// <content>Container mutation, globals, and object construction (REDUCE, NEWOBJ, NEWOBJ_EX, INST/OBJ, BUILD).</content>
internal sealed partial class Unpickler
{
    private static readonly PyGlobal s_uuidClass = new("uuid", "UUID");

    private List<PyReduce>? _orphanCalls;

    /// <summary>
    /// A call whose result was popped ran for its side effect (dill's postprocessing): attach it to the object it
    /// follows, the nearest reduce value below it on the stack, so the pickler replays it at the same point.
    /// </summary>
    private void KeepDiscardedCall(PyReduce call)
    {
        for (var i = _sp - 1; i >= 0; i--)
        {
            if (_stack[i] is PyReduce owner && !ReferenceEquals(owner, call))
            {
                (owner.PostCalls ??= []).Add(call);
                return;
            }
        }

        (_orphanCalls ??= []).Add(call);
    }

    /// <summary>APPEND/APPENDS: stack[from..] onto the list (or list-like object) at stack[from - 1].</summary>
    private void Append(int from, byte op, int offset)
    {
        if (from < 1 || from - 1 < _fence)
        {
            throw Error("unpickling stack underflow (no list to append to)", op, offset);
        }

        var items = _stack.AsSpan(from, _sp - from);
        switch (_stack[from - 1])
        {
            case List<object?> list:
                list.AddRange(items);
                break;
            case PyReduce r:
                (r.ListItems ??= new List<object?>(items.Length)).AddRange(items);
                break;
            case var target:
                throw Error($"cannot append to a '{PyRepr.TypeName(target)}' object", op, offset);
        }

        GrowDepth(from, op, offset);
        Truncate(from);
    }

    /// <summary>SETITEM/SETITEMS: key/value pairs at stack[from..] into the dict (or object) at stack[from - 1].</summary>
    private void SetItems(int from, byte op, int offset)
    {
        if (from < 1 || from - 1 < _fence)
        {
            throw Error("unpickling stack underflow (no dict to set items in)", op, offset);
        }

        if (((_sp - from) & 1) != 0)
        {
            throw Error($"odd number of items ({_sp - from}) for SETITEMS", op, offset);
        }

        switch (_stack[from - 1])
        {
            case PyDict dict:
                for (var i = from; i < _sp; i += 2)
                {
                    dict.SetItem(_stack[i], _stack[i + 1]);
                }

                break;
            case PyReduce r:
                r.DictItems ??= new List<KeyValuePair<object?, object?>>((_sp - from) / 2);
                for (var i = from; i < _sp; i += 2)
                {
                    r.DictItems.Add(new(_stack[i], _stack[i + 1]));
                }

                break;
            case var target:
                throw Error($"'{PyRepr.TypeName(target)}' object does not support item assignment", op, offset);
        }

        GrowDepth(from, op, offset);
        Truncate(from);
    }

    private void AddItems(int from, byte op, int offset)
    {
        if (from < 1 || from - 1 < _fence)
        {
            throw Error("unpickling stack underflow (no set to add to)", op, offset);
        }

        if (_stack[from - 1] is not PySet set)
        {
            throw Error($"ADDITEMS needs a set, not a '{PyRepr.TypeName(_stack[from - 1])}'", op, offset);
        }

        for (var i = from; i < _sp; i++)
        {
            set.Add(_stack[i]);
        }

        GrowDepth(from, op, offset);
        Truncate(from);
    }

    private void GrowDepth(int from, byte op, int offset)
    {
        if (_sp > from)
        {
            _depths[from - 1] = CheckDepth(Math.Max(_depths[from - 1], MaxDepth(from) + 1), op, offset);
        }
    }

    private object? FindClass(string module, string name, byte op, int offset)
    {
        if (_protocol < 3 && _options.FixImports)
        {
            if (CompatPickle.NameMapping.TryGetValue((module, name), out var mapped))
            {
                (module, name) = mapped;
            }
            else if (CompatPickle.ImportMapping.TryGetValue(module, out var m))
            {
                module = m;
            }
        }

        if (_security.AllowGlobal is { } allow && !allow(module, name))
        {
            throw Error($"global '{module}.{name}' is forbidden (PickleSecurity.AllowGlobal)", op, offset);
        }

        return KnownReducers.Global(module, name);
    }

    private object? Extension(int code, byte op, int offset)
    {
        if (code <= 0)
        {
            throw Error("EXT specifies code <= 0", op, offset);
        }

        if (_options.Extensions is not { } ext || !ext.TryGetGlobal(code, out var g))
        {
            throw Error($"unregistered extension code {code}", op, offset);
        }

        return FindClass(g.Module, g.Name, op, offset);
    }

    private object? PersistentLoad(object? pid, byte op, int offset)
    {
        if (_options.PersistentLoad is not { } load)
        {
            throw Error("A load persistent id instruction was encountered, but no persistent_load function was specified", op, offset);
        }

        return load(pid);
    }

    private PickleBuffer NextBuffer(byte op, int offset)
    {
        if (_buffers is null)
        {
            if (_options.Buffers is null)
            {
                throw Error("pickle stream refers to out-of-band data but no *buffers* argument was given", op, offset);
            }

            _buffers = _options.Buffers.GetEnumerator();
        }

        if (!_buffers.MoveNext())
        {
            throw Error("not enough out-of-band buffers", op, offset);
        }

        return _buffers.Current ?? throw Error("an out-of-band buffer is null", op, offset);
    }

    private void ReadOnlyBuffer(byte op, int offset)
    {
        Need(1, op, offset);
        switch (_stack[_sp - 1])
        {
            case PickleBuffer pb:
                _stack[_sp - 1] = pb.AsReadOnly();
                break;
            case PyByteArray ba:
                _stack[_sp - 1] = new PickleBuffer((ReadOnlyMemory<byte>)ba.Memory);
                break;
            case byte[]:
                break;
            case var other:
                throw Error($"a bytes-like object is required, not '{PyRepr.TypeName(other)}'", op, offset);
        }
    }

    private void Reduce(byte op, int offset)
    {
        Need(2, op, offset);
        if (_stack[_sp - 1] is not PyTuple args)
        {
            throw Error($"REDUCE arguments must be a tuple, not '{PyRepr.TypeName(_stack[_sp - 1])}'", op, offset);
        }

        var callable = _stack[_sp - 2];
        var depth = Math.Max(_depths[_sp - 1], _depths[_sp - 2]);
        object? result;
        if (callable is PyGlobal g)
        {
            if (!KnownReducers.TryReduce(g, args, out result))
            {
                result = _options.Registry.IsException(g) ? new PyException(KnownExceptions.ResolveOSError(g, args), args) : Track(new PyReduce(g, args));
            }
        }
        else if (callable is PyReduce)
        {
            result = Track(new PyReduce(callable, args));
        }
        else
        {
            throw Error($"'{PyRepr.TypeName(callable)}' object is not callable", op, offset);
        }

        _stack[--_sp] = null;
        _stack[_sp - 1] = result;
        _depths[_sp - 1] = CheckDepth(depth + 1, op, offset);
    }

    private void NewObj(byte op, int offset)
    {
        Need(2, op, offset);
        if (_stack[_sp - 1] is not PyTuple args)
        {
            throw Error($"NEWOBJ expected an arg tuple, not '{PyRepr.TypeName(_stack[_sp - 1])}'", op, offset);
        }

        var cls = CheckClass(_stack[_sp - 2], op, offset);
        var depth = Math.Max(_depths[_sp - 1], _depths[_sp - 2]);
        _stack[--_sp] = null;
        _stack[_sp - 1] = Track(new PyReduce(PyReduceKind.NewObj, cls, args));
        _depths[_sp - 1] = CheckDepth(depth + 1, op, offset);
    }

    private void NewObjEx(byte op, int offset)
    {
        Need(3, op, offset);
        if (_stack[_sp - 1] is not PyDict kwargs)
        {
            throw Error($"NEWOBJ_EX kwargs must be a dict, not '{PyRepr.TypeName(_stack[_sp - 1])}'", op, offset);
        }

        if (_stack[_sp - 2] is not PyTuple args)
        {
            throw Error($"NEWOBJ_EX args must be a tuple, not '{PyRepr.TypeName(_stack[_sp - 2])}'", op, offset);
        }

        var cls = CheckClass(_stack[_sp - 3], op, offset);
        var depth = Math.Max(_depths[_sp - 1], Math.Max(_depths[_sp - 2], _depths[_sp - 3]));
        _stack[--_sp] = null;
        _stack[--_sp] = null;
        _stack[_sp - 1] = Track(new PyReduce(PyReduceKind.NewObjEx, cls, args, kwargs));
        _depths[_sp - 1] = CheckDepth(depth + 1, op, offset);
    }

    /// <summary>INST/OBJ: class and the arguments at stack[argsFrom..]; replaces them with the instance.</summary>
    private void Instantiate(object? cls, int argsFrom, byte op, int offset)
    {
        CheckClass(cls, op, offset);
        var args = _sp == argsFrom ? PyTuple.Empty : new PyTuple(_stack.AsSpan(argsFrom, _sp - argsFrom).ToArray());
        var depth = MaxDepth(argsFrom);
        Truncate(argsFrom);
        Push(Track(new PyReduce(PyReduceKind.Obj, cls, args)), depth + 1, op, offset);
    }

    private object CheckClass(object? cls, byte op, int offset) =>
        cls is PyGlobal or PyReduce ? cls : throw Error($"expected a class, got '{PyRepr.TypeName(cls)}'", op, offset);

    private void Build(byte op, int offset)
    {
        Need(2, op, offset);
        var state = _stack[_sp - 1];
        var stateDepth = _depths[_sp - 1];
        _stack[--_sp] = null;
        if (_stack[_sp - 1] is not PyReduce inst)
        {
            throw Error($"BUILD on a '{PyRepr.TypeName(_stack[_sp - 1])}' object, which has no __dict__ or __setstate__", op, offset);
        }

        if (inst.State is PyDict existing && state is PyDict more)
        {
            foreach (var (k, v) in more)
            {
                existing.SetItem(k, v);
            }
        }
        else
        {
            inst.State = state;
        }

        _depths[_sp - 1] = CheckDepth(Math.Max(_depths[_sp - 1], stateDepth + 1), op, offset);

        // uuid.UUID is NEWOBJ (or copyreg._reconstructor) then BUILD {'int': n}: only now is it a Guid.
        if (inst.ClassGlobal is { } cls && cls.Equals(s_uuidClass) && inst.Args.Count is 0 or 3 && inst.ListItems is null && inst.DictItems is null
            && state is PyDict { Count: 1 } d && d.TryGetValue("int", out var n) && KnownReducers.TryGuid(n, out var guid))
        {
            _stack[_sp - 1] = guid;
            MemoReplaceLast(inst, guid);
        }
    }
}
