using System.Buffers;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <summary>
/// The object-level writer, shaped after CPython's C pickler (Modules/_pickle.c) so builtin values come out byte for
/// byte the same: the same opcode choices, memoization (MEMOIZE after each memoizable object, BINGET on repeats and
/// recursion), batching of APPENDS/SETITEMS/ADDITEMS by 1000, and framing (FRAME headers committed at opcode
/// boundaries once a frame reaches 64 KiB; payloads of 64 KiB and more written outside frames).
/// </summary>
internal sealed partial class Pickler : IDisposable
{
    private const int FrameSizeTarget = 64 * 1024;   // _pickle.c FRAME_SIZE_TARGET
    private const int FrameSizeMin = 4;              // frames shorter than this are not worth their 9-byte header
    private const int FrameHeaderSize = 9;           // FRAME opcode + uint64 length
    private const int BatchSize = 1000;              // _pickle.c BATCHSIZE

    [ThreadStatic]
    private static Pickler? t_cached;

    private PickleOptions _options = PickleOptions.Default;
    private int _protocol;
    private bool _framing;
    private int _maxDepth;

    private byte[] _buffer;
    private int _pos;
    private int _frameStart = -1;
    private bool _framingNow;
    private IBufferWriter<byte>? _writer;
    private List<(int Position, ReadOnlyMemory<byte> Payload)>? _payloads;
    private long _payloadBytes;
    private int _depth;
    private int _limit;                      // write fast path bound: the buffer end, or 0 when a frame must start first
    private int _commitAt = int.MaxValue;    // buffer position at which the open frame reaches 64 KiB
    private bool _hasPersistentId;

    private Pickler() => _buffer = ArrayPool<byte>.Shared.Rent(256);

    /// <summary>Takes this thread's idle pickler (or a new one) set up for <paramref name="options"/>; give it back with Dispose.</summary>
    public static Pickler Rent(PickleOptions options)
    {
        if (options.Protocol is < 2 or > Opcodes.HighestProtocol)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Protocol, "pickle protocol must be 2, 3, 4 or 5");
        }

        var p = t_cached ?? new Pickler();
        t_cached = null;
        p._options = options;
        p._hasPersistentId = options.PersistentId is not null;
        p._protocol = options.Protocol;
        p._framing = options.Protocol >= 4;
        p._maxDepth = options.Security.MaxDepth;
        return p;
    }

    public byte[] DumpToArray(object? value)
    {
        DumpCore(value);

        // Assemble: buffered bytes with the large payloads (kept by reference, never copied before now) spliced in.
        var result = GC.AllocateUninitializedArray<byte>(checked((int)(_pos + _payloadBytes)));
        if (_payloads is null)
        {
            _buffer.AsSpan(0, _pos).CopyTo(result);
            return result;
        }

        int from = 0, to = 0;
        foreach (var (position, payload) in _payloads)
        {
            _buffer.AsSpan(from, position - from).CopyTo(result.AsSpan(to));
            to += position - from;
            payload.Span.CopyTo(result.AsSpan(to));
            to += payload.Length;
            from = position;
        }

        _buffer.AsSpan(from, _pos - from).CopyTo(result.AsSpan(to));
        return result;
    }

    public void Dump(IBufferWriter<byte> output, object? value)
    {
        _writer = output;
        DumpCore(value);
        Flush();
    }

    /// <summary>Resets the pickler and parks it for this thread's next call (dropping large buffers).</summary>
    public void Dispose()
    {
        _memo.Clear();
        _memoNext = 0;
        _globalMemo = null;
        _nameMemo = null;
        _utc = null;
        _pos = 0;
        _frameStart = -1;
        _commitAt = int.MaxValue;
        _framingNow = false;
        _limit = 0;
        _writer = null;
        _payloads = null;
        _payloadBytes = 0;
        _depth = 0;
        _options = PickleOptions.Default;
        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(256);
        }

        t_cached = this;
    }

    private void DumpCore(object? value)
    {
        // PROTO goes before the first frame, as in _pickle.c dump().
        Span<byte> proto = [Opcodes.PROTO, (byte)_protocol];
        WriteRaw(proto);
        _framingNow = _framing;
        UpdateLimit();
        try
        {
            Save(value);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new PicklingException($"the value nests too deeply to pickle (maximum recursion depth exceeded at depth {_depth})", e);
        }

        WriteByte(Opcodes.STOP);
        CommitFrame();
    }

    // ---- output: a buffer with frame headers patched in place

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        var pos = _pos;
        if (pos + count > _limit)
        {
            ReserveSlow(count);
            pos = _pos;
        }

        _pos = pos + count;
        return _buffer.AsSpan(pos, count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteByte(byte b)
    {
        var pos = _pos;
        if (pos + 1 > _limit)
        {
            ReserveSlow(1);
            pos = _pos;
        }

        _buffer[pos] = b;
        _pos = pos + 1;
    }

    /// <summary>Opens a frame if one is due, and makes room for <paramref name="count"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReserveSlow(int count)
    {
        if (_framingNow && _frameStart < 0)
        {
            StartFrame();
        }

        if (_buffer.Length - _pos < count)
        {
            Grow(count);
        }

        UpdateLimit();
    }

    private void UpdateLimit() => _limit = _framingNow && _frameStart < 0 ? 0 : _buffer.Length;

    private void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _pos < bytes.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(_pos));
        _pos += bytes.Length;
        UpdateLimit();
    }

    private void StartFrame()
    {
        if (_buffer.Length - _pos < FrameHeaderSize)
        {
            Grow(FrameHeaderSize);
        }

        _frameStart = _pos;
        _commitAt = _frameStart + FrameHeaderSize + FrameSizeTarget;
        _pos += FrameHeaderSize;
        UpdateLimit();
    }

    private void Grow(int needed)
    {
        var size = Math.Max(_buffer.Length * 2, _pos + needed);
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _pos).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        UpdateLimit();
    }

    /// <summary>_Pickler_CommitFrame: fill in the open frame's header, or drop the header if the frame is tiny.</summary>
    private void CommitFrame()
    {
        if (_frameStart < 0)
        {
            return;
        }

        var length = _pos - _frameStart - FrameHeaderSize;
        if (length >= FrameSizeMin)
        {
            _buffer[_frameStart] = Opcodes.FRAME;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_frameStart + 1), (ulong)length);
        }
        else
        {
            _buffer.AsSpan(_frameStart + FrameHeaderSize, length).CopyTo(_buffer.AsSpan(_frameStart));
            _pos -= FrameHeaderSize;
        }

        _frameStart = -1;
        _commitAt = int.MaxValue;
        UpdateLimit();
        if (_writer is not null && _pos >= FrameSizeTarget)
        {
            Flush();
        }
    }

    /// <summary>_Pickler_OpcodeBoundary: after each object, a frame that reached 64 KiB is committed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OpcodeBoundary()
    {
        if (_pos >= _commitAt)
        {
            CommitFrame();
        }
    }

    /// <summary>_Pickler_write_bytes: a header then a payload; payloads of 64 KiB or more go outside any frame, uncopied.</summary>
    private void WriteHeaderAndPayload(ReadOnlySpan<byte> header, ReadOnlyMemory<byte> payload)
    {
        if (payload.Length < FrameSizeTarget)
        {
            var span = Reserve(header.Length + payload.Length);
            header.CopyTo(span);
            payload.Span.CopyTo(span[header.Length..]);
            return;
        }

        CommitFrame();
        WriteRaw(header);
        if (_writer is not null)
        {
            Flush();
            _writer.Write(payload.Span);
        }
        else
        {
            (_payloads ??= []).Add((_pos, payload));
            _payloadBytes += payload.Length;
        }
    }

    private void Flush()
    {
        if (_writer is not null && _pos > 0 && _frameStart < 0)
        {
            _writer.Write(_buffer.AsSpan(0, _pos));
            _pos = 0;
            UpdateLimit();
        }
    }
}
