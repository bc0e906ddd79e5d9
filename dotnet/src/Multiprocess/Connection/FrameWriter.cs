using System.Buffers;

namespace Multiprocess.Connection;

/// <summary>
/// A reusable buffer for one outgoing message whose payload is written behind room for its header
/// (<see cref="Connection.SendFrame"/>): the serializer writes straight into it, the header goes in front, and the
/// frame leaves in one write(2) without being copied again (<see cref="Connection.SendBytes(ReadOnlySpan{byte})"/>
/// copies a payload it is given behind a header).
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>
{
    /// <summary>Room kept in front of the payload: a 4-byte header (a byte[] payload never needs the 12-byte one).</summary>
    internal const int HeaderRoom = Framing.ShortHeaderLength;

    /// <summary>A buffer grown beyond this by one large message is dropped at the next <see cref="Reset"/>.</summary>
    private const int KeepCapacity = 1 << 20;

    private const int InitialCapacity = 512;

    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(InitialCapacity);
    private int _end = HeaderRoom;

    /// <summary>Gets the number of payload bytes written.</summary>
    public int PayloadLength => _end - HeaderRoom;

    /// <summary>Gets the payload written so far (without the header room).</summary>
    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(HeaderRoom, _end - HeaderRoom);

    /// <summary>Empties the writer for the next message (and drops a buffer a huge one left behind).</summary>
    public void Reset()
    {
        if (_buffer.Length > KeepCapacity)
        {
            _buffer = GC.AllocateUninitializedArray<byte>(InitialCapacity);
        }

        _end = HeaderRoom;
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _end))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Advance past the room asked for ({_buffer.Length - _end} bytes)");
        }

        _end += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_end);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_end);
    }

    /// <summary>Appends bytes (a reply pickled once): the copy alone, without the interface calls of <c>IBufferWriter.Write</c>.</summary>
    /// <param name="bytes">The bytes.</param>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _end < bytes.Length)
        {
            Reserve(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(_end));
        _end += bytes.Length;
    }

    /// <summary>Writes the header into the room in front of the payload and returns the whole frame.</summary>
    internal Span<byte> Frame()
    {
        Framing.WriteHeader(_buffer, _end - HeaderRoom);
        return _buffer.AsSpan(0, _end);
    }

    private void Reserve(int sizeHint)
    {
        var need = Math.Max(sizeHint, 1);
        if (_buffer.Length - _end >= need)
        {
            return;
        }

        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)_end + need, (long)_buffer.Length * 2));
        if (size - _end < need)
        {
            throw new InvalidOperationException($"A message of more than {Array.MaxLength - HeaderRoom} bytes does not fit one array");
        }

        var bigger = GC.AllocateUninitializedArray<byte>(size);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        _buffer = bigger;
    }
}
