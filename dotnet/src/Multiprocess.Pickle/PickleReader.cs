using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Multiprocess.Pickle;

/// <summary>
/// Token-level pickle reader over a span: opcode bytes and their fixed-size, counted and newline-terminated
/// arguments (pickletools' ArgumentDescriptors). Every counted read checks the count against the remaining input
/// before anything is allocated, so a short hostile pickle cannot ask for gigabytes.
/// </summary>
public ref struct PickleReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Initializes a new instance of the <see cref="PickleReader"/> struct.</summary>
    /// <param name="data">The pickle bytes.</param>
    public PickleReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Gets the offset of the next byte.</summary>
    public readonly int Position => _position;

    /// <summary>Gets the number of bytes left.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads one byte (an opcode or a uint1 argument).</summary>
    /// <returns>The byte.</returns>
    /// <exception cref="EndOfStreamException">No byte is left.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        if ((uint)_position >= (uint)_data.Length)
        {
            ThrowTruncated(1);
        }

        return _data[_position++];
    }

    /// <summary>Reads a little-endian uint2 (BININT2, EXT2).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Fewer than 2 bytes are left.</exception>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadSpan(2));

    /// <summary>Reads a little-endian int4 (BININT, LONG4's count, BINSTRING's count, EXT4).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Fewer than 4 bytes are left.</exception>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadSpan(4));

    /// <summary>Reads a little-endian uint4 (BINUNICODE, BINBYTES counts, LONG_BINGET/PUT).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Fewer than 4 bytes are left.</exception>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadSpan(4));

    /// <summary>Reads a little-endian uint8 (FRAME, BINUNICODE8, BINBYTES8, BYTEARRAY8 counts).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Fewer than 8 bytes are left.</exception>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadSpan(8));

    /// <summary>Reads a big-endian IEEE double (BINFLOAT).</summary>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Fewer than 8 bytes are left.</exception>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(ReadSpan(8));

    /// <summary>Reads <paramref name="count"/> bytes without copying.</summary>
    /// <param name="count">The count.</param>
    /// <returns>A slice of the input.</returns>
    /// <exception cref="EndOfStreamException">Fewer bytes are left.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadSpan(int count)
    {
        if ((uint)count > (uint)(_data.Length - _position))
        {
            ThrowTruncated(count);
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    /// <summary>Reads a counted argument whose count is 64-bit, checking it against the remaining input first.</summary>
    /// <param name="count">The count as read from the pickle.</param>
    /// <returns>A slice of the input.</returns>
    /// <exception cref="EndOfStreamException">The count exceeds the remaining input.</exception>
    public ReadOnlySpan<byte> ReadSpan(ulong count)
    {
        if (count > (ulong)(_data.Length - _position))
        {
            ThrowTruncated(count);
        }

        return ReadSpan((int)count);
    }

    /// <summary>Reads up to and including the next newline; returns the line without it (GLOBAL, INT, STRING...).</summary>
    /// <returns>The line.</returns>
    /// <exception cref="EndOfStreamException">No newline follows.</exception>
    public ReadOnlySpan<byte> ReadLine()
    {
        var rest = _data[_position..];
        var nl = rest.IndexOf((byte)'\n');
        if (nl < 0)
        {
            throw new EndOfStreamException($"pickle data was truncated: no newline after offset {_position}");
        }

        _position += nl + 1;
        return rest[..nl];
    }

    /// <summary>Checks that <paramref name="count"/> more bytes exist without consuming them (FRAME).</summary>
    /// <param name="count">The count.</param>
    /// <exception cref="EndOfStreamException">Fewer bytes are left.</exception>
    public readonly void Require(ulong count)
    {
        if (count > (ulong)(_data.Length - _position))
        {
            ThrowTruncated(count);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTruncated(ulong needed) =>
        throw new EndOfStreamException(
            $"pickle data was truncated: {needed} byte(s) needed at offset {_position}, {_data.Length - _position} left");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowTruncated(int needed) => ThrowTruncated((ulong)(uint)needed);
}
