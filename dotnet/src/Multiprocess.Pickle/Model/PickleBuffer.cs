namespace Multiprocess.Pickle;

/// <summary>
/// A buffer that protocol 5 can send out of band (Python's <c>pickle.PickleBuffer</c>). Pickling one with a
/// <see cref="PickleOptions.BufferCallback"/> writes only NEXT_BUFFER (and READONLY_BUFFER) and hands the memory to
/// the callback, never copying it; unpickling NEXT_BUFFER yields the caller-supplied buffer itself.
/// </summary>
public sealed class PickleBuffer
{
    /// <summary>Initializes a new instance of the <see cref="PickleBuffer"/> class over writable memory (a bytearray-like buffer).</summary>
    /// <param name="memory">The memory; not copied.</param>
    public PickleBuffer(Memory<byte> memory)
    {
        Memory = memory;
        IsReadOnly = false;
    }

    /// <summary>Initializes a new instance of the <see cref="PickleBuffer"/> class over read-only memory (a bytes-like buffer).</summary>
    /// <param name="memory">The memory; not copied.</param>
    public PickleBuffer(ReadOnlyMemory<byte> memory)
    {
        Memory = memory;
        IsReadOnly = true;
    }

    /// <summary>Gets the content (no copy).</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Gets a value indicating whether the buffer is read-only (Python rebuilds it as bytes-like, not bytearray-like).</summary>
    public bool IsReadOnly { get; }

    /// <summary>Gets the length in bytes.</summary>
    public int Length => Memory.Length;

    /// <summary>Returns a read-only view of the same memory (what READONLY_BUFFER does).</summary>
    /// <returns>This buffer if already read-only, else a read-only one over the same memory.</returns>
    public PickleBuffer AsReadOnly() => IsReadOnly ? this : new PickleBuffer(Memory);

    /// <summary>Returns Python's repr for a memoryview-like buffer.</summary>
    /// <returns>The repr text.</returns>
    public override string ToString() => PyRepr.Repr(this);
}
