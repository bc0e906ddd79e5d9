using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <summary>
/// The object-level reader: CPython's Unpickler (Modules/_pickle.c load_*) as one loop over a span, with a flat
/// object stack, a mark stack of offsets, and an array-backed memo. Python values are produced per the README
/// mapping; nothing is imported, called or instantiated except registered bindings.
/// </summary>
internal sealed partial class Unpickler
{
    [ThreadStatic]
    private static Unpickler? t_cached;

    private UnpickleOptions _options = UnpickleOptions.Default;
    private PickleSecurity _security = PickleSecurity.Default;
    private int _maxDepth;

    private Slot[] _stack = new Slot[16];
    private int[] _depths = new int[16];
    private int _sp;
    private int[] _marks = new int[8];
    private int[] _markOffsets = new int[8];   // input offset of each MARK, to size lists from their first batch
    private int _lastMarkOffset;
    private int _inputLength;
    private int _markCount;
    private int _fence;               // stack index of the innermost mark (0 when none)
    private int _protocol;
    private IEnumerator<PickleBuffer>? _buffers;

    private Unpickler()
    {
    }

    /// <summary>Takes this thread's idle unpickler (or a new one) set up for <paramref name="options"/>.</summary>
    public static Unpickler Rent(UnpickleOptions options)
    {
        var u = t_cached ?? new Unpickler();
        t_cached = null;
        u._options = options;
        u._security = options.Security;
        u._maxDepth = options.Security.MaxDepth;
        return u;
    }

    /// <summary>Clears every reference the last load left and parks the unpickler for this thread's next call.</summary>
    public void Return()
    {
        if (_stack.Length > 4096)
        {
            _stack = new Slot[16];
            _depths = new int[16];
        }
        else
        {
            Array.Clear(_stack, 0, _sp);
        }

        _sp = 0;
        _markCount = 0;
        _fence = 0;
        _protocol = 0;
        _buffers?.Dispose();
        _buffers = null;
        _pending = null;
        _orphanCalls = null;
        ResetMemo();
        _options = UnpickleOptions.Default;
        t_cached = this;
    }

    public object? Load(ReadOnlySpan<byte> data, out int bytesConsumed)
    {
        var reader = new PickleReader(data);
        _inputLength = data.Length;
        try
        {
            return Execute(ref reader, out bytesConsumed);
        }
        catch (EndOfStreamException e) when (e.Data["pickle.offset"] is null)
        {
            var wrapped = new EndOfStreamException($"{e.Message} (opcode {Opcodes.Describe(_op)} at offset {_opStart})", e);
            wrapped.Data["pickle.offset"] = _opStart;
            throw wrapped;
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or FormatException or OverflowException
                                      or InvalidOperationException or KeyNotFoundException or InsufficientExecutionStackException
                                      or NotSupportedException)
        {
            throw new UnpicklingException(e.Message, _op, _opStart, e);
        }
    }

    // The opcode being executed and its offset, for error messages (kept in fields so the hot loop has no EH region).
    private byte _op;
    private int _opStart;

    private object? Execute(ref PickleReader reader, out int bytesConsumed)
    {
        while (true)
        {
            var start = _opStart = reader.Position;
            var op = _op = reader.ReadByte();
            {
                switch (op)
                {
                    case Opcodes.PROTO:
                        _protocol = reader.ReadByte();
                        if (_protocol > Opcodes.HighestProtocol)
                        {
                            throw Error($"unsupported pickle protocol: {_protocol}", op, start);
                        }

                        break;
                    case Opcodes.FRAME:
                        // Like the C unpickler: the frame must fit in the input; opcodes may still straddle frames.
                        reader.Require(reader.ReadUInt64());
                        break;
                    case Opcodes.STOP:
                        bytesConsumed = reader.Position;
                        var result = Pop(op, start);
                        if (_orphanCalls is not null && result is PyReduce root)
                        {
                            (root.PostCalls ??= []).AddRange(_orphanCalls);
                        }

                        return HasPendingBindings ? FinishBindings(result) : result;

                    // ---- constants and numbers
                    case Opcodes.NONE:
                        Push(null);
                        break;
                    case Opcodes.NEWTRUE:
                        Push(BoxedTrue);
                        break;
                    case Opcodes.NEWFALSE:
                        Push(BoxedFalse);
                        break;
                    case Opcodes.BININT1:
                        Push(BoxInt(reader.ReadByte()));
                        break;
                    case Opcodes.BININT2:
                        Push(BoxInt(reader.ReadUInt16()));
                        break;
                    case Opcodes.BININT:
                        Push(BoxInt(reader.ReadInt32()));
                        break;
                    case Opcodes.LONG1:
                        Push(DecodeLong(reader.ReadSpan(reader.ReadByte())));
                        break;
                    case Opcodes.LONG4:
                        {
                            var n = reader.ReadInt32();
                            if (n < 0)
                            {
                                throw Error($"LONG pickle has negative byte count {n}", op, start);
                            }

                            Push(DecodeLong(reader.ReadSpan(n)));
                            break;
                        }

                    case Opcodes.BINFLOAT:
                        Push(reader.ReadDouble());
                        break;
                    case Opcodes.INT:
                        Push(ParseInt(reader.ReadLine(), op, start));
                        break;
                    case Opcodes.LONG:
                        Push(ParseLong(reader.ReadLine(), op, start));
                        break;
                    case Opcodes.FLOAT:
                        Push(ParseFloat(reader.ReadLine(), op, start));
                        break;

                    // ---- strings and bytes
                    case Opcodes.SHORT_BINUNICODE:
                        Push(DecodeShortUtf8(reader.ReadSpan(reader.ReadByte()), op, start));
                        break;
                    case Opcodes.BINUNICODE:
                        Push(DecodeUtf8(reader.ReadSpan((ulong)reader.ReadUInt32()), op, start));
                        break;
                    case Opcodes.BINUNICODE8:
                        Push(DecodeUtf8(reader.ReadSpan(reader.ReadUInt64()), op, start));
                        break;
                    case Opcodes.UNICODE:
                        Push(DecodeRawUnicodeEscape(reader.ReadLine()));
                        break;
                    case Opcodes.SHORT_BINBYTES:
                        Push(reader.ReadSpan(reader.ReadByte()).ToArray());
                        break;
                    case Opcodes.BINBYTES:
                        Push(reader.ReadSpan((ulong)reader.ReadUInt32()).ToArray());
                        break;
                    case Opcodes.BINBYTES8:
                        Push(reader.ReadSpan(reader.ReadUInt64()).ToArray());
                        break;
                    case Opcodes.BYTEARRAY8:
                        Push(new PyByteArray(reader.ReadSpan(reader.ReadUInt64()).ToArray().AsMemory()));
                        break;
                    case Opcodes.SHORT_BINSTRING:
                        Push(DecodePy2String(reader.ReadSpan(reader.ReadByte()), op, start));
                        break;
                    case Opcodes.BINSTRING:
                        {
                            var n = reader.ReadInt32();
                            if (n < 0)
                            {
                                throw Error($"BINSTRING pickle has negative byte count {n}", op, start);
                            }

                            Push(DecodePy2String(reader.ReadSpan(n), op, start));
                            break;
                        }

                    case Opcodes.STRING:
                        Push(DecodePy2String(ParseQuotedString(reader.ReadLine(), op, start), op, start));
                        break;
                    case Opcodes.NEXT_BUFFER:
                        Push(NextBuffer(op, start));
                        break;
                    case Opcodes.READONLY_BUFFER:
                        ReadOnlyBuffer(op, start);
                        break;

                    // ---- containers
                    case Opcodes.EMPTY_LIST:
                        Push(new List<object?>());
                        break;
                    case Opcodes.EMPTY_DICT:
                        Push(new PyDict());
                        break;
                    case Opcodes.EMPTY_TUPLE:
                        Push(PyTuple.Empty);
                        break;
                    case Opcodes.EMPTY_SET:
                        Push(new PySet());
                        break;
                    case Opcodes.TUPLE1:
                        {
                            Need(1, op, start);
                            var d = _depths[_sp - 1];
                            _stack[_sp - 1].Value = new PyTuple([_stack[_sp - 1].Value]);
                            _depths[_sp - 1] = CheckDepth(d + 1, op, start);
                            break;
                        }

                    case Opcodes.TUPLE2:
                        {
                            Need(2, op, start);
                            var d = Math.Max(_depths[_sp - 1], _depths[_sp - 2]);
                            var t = new PyTuple([_stack[_sp - 2].Value, _stack[_sp - 1].Value]);
                            _stack[--_sp].Value = null;
                            _stack[_sp - 1].Value = t;
                            _depths[_sp - 1] = CheckDepth(d + 1, op, start);
                            break;
                        }

                    case Opcodes.TUPLE3:
                        {
                            Need(3, op, start);
                            var d = Math.Max(_depths[_sp - 1], Math.Max(_depths[_sp - 2], _depths[_sp - 3]));
                            var t = new PyTuple([_stack[_sp - 3].Value, _stack[_sp - 2].Value, _stack[_sp - 1].Value]);
                            _stack[--_sp].Value = null;
                            _stack[--_sp].Value = null;
                            _stack[_sp - 1].Value = t;
                            _depths[_sp - 1] = CheckDepth(d + 1, op, start);
                            break;
                        }

                    case Opcodes.TUPLE:
                        {
                            var m = PopMark(op, start);
                            var items = _sp == m ? [] : StackSpan(m, _sp - m).ToArray();
                            var d = MaxDepth(m);
                            Truncate(m);
                            Push(items.Length == 0 ? PyTuple.Empty : new PyTuple(items), d == 0 && items.Length == 0 ? 0 : d + 1, op, start);
                            break;
                        }

                    case Opcodes.LIST:
                        {
                            var m = PopMark(op, start);
                            var list = new List<object?>(_sp - m);
                            list.AddRange(StackSpan(m, _sp - m));
                            var d = MaxDepth(m);
                            Truncate(m);
                            Push(list, d + 1, op, start);
                            break;
                        }

                    case Opcodes.DICT:
                        {
                            var m = PopMark(op, start);
                            if (((_sp - m) & 1) != 0)
                            {
                                throw Error($"odd number of items ({_sp - m}) for DICT", op, start);
                            }

                            var dict = new PyDict((_sp - m) / 2);
                            for (var i = m; i < _sp; i += 2)
                            {
                                dict.SetItem(_stack[i].Value, _stack[i + 1].Value);
                            }

                            var d = MaxDepth(m);
                            Truncate(m);
                            Push(dict, d + 1, op, start);
                            break;
                        }

                    case Opcodes.FROZENSET:
                        {
                            var m = PopMark(op, start);
                            var set = PyFrozenSet.CreateForLoad(_sp - m);
                            for (var i = m; i < _sp; i++)
                            {
                                set.AddForLoad(_stack[i].Value);
                            }

                            var d = MaxDepth(m);
                            Truncate(m);
                            Push(set, d + 1, op, start);
                            break;
                        }

                    case Opcodes.APPEND:
                        Need(2, op, start);
                        Append(_sp - 1, op, start);
                        break;
                    case Opcodes.APPENDS:
                        Append(PopMark(op, start), op, start);
                        break;
                    case Opcodes.SETITEM:
                        Need(3, op, start);
                        SetItems(_sp - 2, op, start);
                        break;
                    case Opcodes.SETITEMS:
                        SetItems(PopMark(op, start), op, start);
                        break;
                    case Opcodes.ADDITEMS:
                        AddItems(PopMark(op, start), op, start);
                        break;

                    // ---- stack and memo
                    case Opcodes.MARK:
                        PushMark();
                        break;
                    case Opcodes.POP:
                        if (_sp > _fence)
                        {
                            var popped = _stack[--_sp].Value;
                            _stack[_sp].Value = null;
                            if (popped is PyReduce { Kind: PyReduceKind.Reduce } call and not PyException)
                            {
                                KeepDiscardedCall(call);
                            }
                        }
                        else if (_markCount > 0)
                        {
                            PopMark(op, start);
                        }
                        else
                        {
                            throw Error("unpickling stack underflow", op, start);
                        }

                        break;
                    case Opcodes.POP_MARK:
                        Truncate(PopMark(op, start));
                        break;
                    case Opcodes.DUP:
                        Need(1, op, start);
                        Push(_stack[_sp - 1].Value, _depths[_sp - 1], op, start);
                        break;
                    case Opcodes.MEMOIZE:
                        Need(1, op, start);
                        MemoPut(_memoCount, op, start);
                        break;
                    case Opcodes.BINPUT:
                        Need(1, op, start);
                        MemoPut(reader.ReadByte(), op, start);
                        break;
                    case Opcodes.LONG_BINPUT:
                        Need(1, op, start);
                        MemoPut(reader.ReadUInt32(), op, start);
                        break;
                    case Opcodes.PUT:
                        Need(1, op, start);
                        MemoPut(ParseMemoIndex(reader.ReadLine(), op, start), op, start);
                        break;
                    case Opcodes.BINGET:
                        MemoGet(reader.ReadByte(), op, start);
                        break;
                    case Opcodes.LONG_BINGET:
                        MemoGet(reader.ReadUInt32(), op, start);
                        break;
                    case Opcodes.GET:
                        MemoGet(ParseMemoIndex(reader.ReadLine(), op, start), op, start);
                        break;

                    // ---- objects
                    case Opcodes.STACK_GLOBAL:
                        {
                            Need(2, op, start);
                            if (_stack[_sp - 1].Value is not string name || _stack[_sp - 2].Value is not string module)
                            {
                                throw Error("STACK_GLOBAL requires str module and name", op, start);
                            }

                            _stack[--_sp].Value = null;
                            _stack[_sp - 1].Value = FindClass(module, name, op, start);
                            _depths[_sp - 1] = 0;
                            break;
                        }

                    case Opcodes.GLOBAL:
                        {
                            var module = DecodeUtf8(reader.ReadLine(), op, start);
                            var name = DecodeUtf8(reader.ReadLine(), op, start);
                            Push(FindClass(module, name, op, start));
                            break;
                        }

                    case Opcodes.EXT1:
                        Push(Extension(reader.ReadByte(), op, start));
                        break;
                    case Opcodes.EXT2:
                        Push(Extension(reader.ReadUInt16(), op, start));
                        break;
                    case Opcodes.EXT4:
                        Push(Extension(reader.ReadInt32(), op, start));
                        break;
                    case Opcodes.REDUCE:
                        Reduce(op, start);
                        break;
                    case Opcodes.NEWOBJ:
                        NewObj(op, start);
                        break;
                    case Opcodes.NEWOBJ_EX:
                        NewObjEx(op, start);
                        break;
                    case Opcodes.BUILD:
                        Build(op, start);
                        break;
                    case Opcodes.INST:
                        {
                            var module = DecodeUtf8(reader.ReadLine(), op, start);
                            var name = DecodeUtf8(reader.ReadLine(), op, start);
                            var cls = FindClass(module, name, op, start);
                            var m = PopMark(op, start);
                            Instantiate(cls, m, op, start);
                            break;
                        }

                    case Opcodes.OBJ:
                        {
                            var m = PopMark(op, start);
                            if (_sp == m)
                            {
                                throw Error("OBJ needs a class after the mark", op, start);
                            }

                            var cls = _stack[m].Value;
                            Instantiate(cls, m + 1, op, start);
                            _stack[m].Value = _stack[m + 1].Value;
                            _depths[m] = _depths[m + 1];
                            _stack[--_sp].Value = null;
                            break;
                        }

                    case Opcodes.PERSID:
                        Push(PersistentLoad(DecodeAscii(reader.ReadLine(), op, start), op, start));
                        break;
                    case Opcodes.BINPERSID:
                        {
                            Need(1, op, start);
                            var pid = _stack[--_sp].Value;
                            _stack[_sp].Value = null;
                            Push(PersistentLoad(pid, op, start));
                            break;
                        }

                    default:
                        throw Error("invalid load key", op, start);
                }
            }
        }
    }

    private static UnpicklingException Error(string message, byte op, int offset) => new(message, op, offset);
}
