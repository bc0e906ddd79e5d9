namespace Multiprocess.Pickle;

/// <summary>
/// A Python <c>bytearray</c>: mutable bytes, a distinct type from <c>bytes</c> (<see cref="byte"/>[]). Equal to a
/// bytes value with the same content, as in Python; unhashable.
/// </summary>
public sealed class PyByteArray : IEquatable<PyByteArray>
{
    private readonly Memory<byte> _memory;

    /// <summary>Initializes a new instance of the <see cref="PyByteArray"/> class over <paramref name="memory"/> (not copied).</summary>
    /// <param name="memory">The storage: writes through the bytearray change it.</param>
    public PyByteArray(Memory<byte> memory) => _memory = memory;

    /// <summary>Initializes a new instance of the <see cref="PyByteArray"/> class with a copy of <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The content.</param>
    public PyByteArray(ReadOnlySpan<byte> bytes) => _memory = bytes.ToArray();

    /// <summary>Gets the length in bytes.</summary>
    public int Length => _memory.Length;

    /// <summary>Gets the content (writable).</summary>
    public Span<byte> Span => _memory.Span;

    /// <summary>Gets the content as memory (writable, no copy).</summary>
    public Memory<byte> Memory => _memory;

    /// <summary>Copies the content to a new array.</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToArray() => _memory.ToArray();

    /// <summary>Compares content.</summary>
    /// <param name="other">The other bytearray.</param>
    /// <returns>Whether the bytes are equal.</returns>
    public bool Equals(PyByteArray? other) => other is not null && _memory.Span.SequenceEqual(other._memory.Span);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PyByteArray other && Equals(other);

    /// <summary>Returns an identity hash: a bytearray is unhashable in Python and never a key.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <summary>Returns Python's repr, e.g. <c>bytearray(b'ab')</c>.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);
}
