using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <content>
/// The output: a buffer with FRAME headers patched in place, committed at opcode boundaries once a frame reaches
/// 64 KiB (_pickle.c _Pickler_CommitFrame, _Pickler_OpcodeBoundary); payloads of 64 KiB and more written outside
/// frames and kept by reference until the end (_Pickler_write_bytes).
/// </content>
internal partial struct PickleWriter
{
    /// <summary>_pickle.c FRAME_SIZE_TARGET: a frame is committed once it reaches this; larger payloads go outside frames.</summary>
    public const int FrameSizeTarget = 64 * 1024;

    private const int FrameSizeMin = 4;              // frames shorter than this are not worth their 9-byte header
    private const int FrameHeaderSize = 9;           // FRAME opcode + uint64 length
    private const int KeptBufferSize = 64 * 1024;    // a larger buffer goes back to the pool on Reset

    private byte[] _buffer;
    private int _pos;
    private int _frameStart;
    private bool _framing;                   // frames open as output grows (after PROTO 4+)
    private IBufferWriter<byte>? _output;
    private List<(int Position, ReadOnlyMemory<byte> Payload)>? _payloads;
    private long _payloadBytes;
    private int _limit;                      // write fast path bound: the buffer end, or 0 when a frame must start first
    private int _commitAt;                   // buffer position at which the open frame reaches 64 KiB

    /// <summary>Initializes a new instance of the <see cref="PickleWriter"/> struct.</summary>
    /// <param name="buffer">The initial buffer (from <see cref="ArrayPool{T}.Shared"/>; grown and returned there).</param>
    public PickleWriter(byte[] buffer)
    {
        _buffer = buffer;
        _frameStart = -1;
        _commitAt = int.MaxValue;
    }

    /// <summary>
    /// Sets where complete frames go as they are committed (<see cref="Flush"/>); without one, everything stays
    /// buffered for <see cref="ToArray"/>.
    /// </summary>
    /// <param name="output">The destination, or null.</param>
    public void SetOutput(IBufferWriter<byte>? output) => _output = output;

    /// <summary>_Pickler_OpcodeBoundary: after each object, a frame that reached 64 KiB is committed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OpcodeBoundary()
    {
        if (_pos >= _commitAt)
        {
            CommitFrame();
        }
    }

    /// <summary>The whole pickle: buffered bytes with the large payloads (kept by reference until now) spliced in.</summary>
    /// <returns>The bytes.</returns>
    public readonly byte[] ToArray()
    {
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

    /// <summary>Writes the buffered bytes to the output, when no frame is open.</summary>
    public void Flush()
    {
        if (_output is not null && _pos > 0 && _frameStart < 0)
        {
            _output.Write(_buffer.AsSpan(0, _pos));
            _pos = 0;
            UpdateLimit();
        }
    }

    /// <summary>Empties the writer for the next pickle, giving a large buffer back to the pool.</summary>
    public void Reset()
    {
        _pos = 0;
        _frameStart = -1;
        _commitAt = int.MaxValue;
        _framing = false;
        _limit = 0;
        _output = null;
        _payloads = null;
        _payloadBytes = 0;
        if (_buffer.Length > KeptBufferSize)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(256);
        }
    }

    /// <summary>_Pickler_CommitFrame: fill in the open frame's header, or drop the header if the frame is tiny.</summary>
    public void CommitFrame()
    {
        if (_frameStart < 0)
        {
            return;
        }

        var length = _pos - _frameStart - FrameHeaderSize;
        if (length >= FrameSizeMin)
        {
            _buffer[_frameStart] = Opcodes.FRAME;
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_frameStart + 1), (ulong)length);
        }
        else
        {
            _buffer.AsSpan(_frameStart + FrameHeaderSize, length).CopyTo(_buffer.AsSpan(_frameStart));
            _pos -= FrameHeaderSize;
        }

        _frameStart = -1;
        _commitAt = int.MaxValue;
        UpdateLimit();
        if (_output is not null && _pos >= FrameSizeTarget)
        {
            Flush();
        }
    }

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

    /// <summary>Opens a frame if one is due, and makes room for <paramref name="count"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReserveSlow(int count)
    {
        if (_framing && _frameStart < 0)
        {
            StartFrame();
        }

        if (_buffer.Length - _pos < count)
        {
            Grow(count);
        }

        UpdateLimit();
    }

    private void UpdateLimit() => _limit = _framing && _frameStart < 0 ? 0 : _buffer.Length;

    /// <summary>Bytes outside any frame (PROTO; the header of a large payload).</summary>
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
        if (_output is not null)
        {
            Flush();
            _output.Write(payload.Span);
        }
        else
        {
            (_payloads ??= []).Add((_pos, payload));
            _payloadBytes += payload.Length;
        }
    }
}
