using System.Buffers;
using Multiprocess.Internal;

namespace Multiprocess.Shm;

/// <summary>
/// A <see cref="MemoryManager{T}"/> over a window of an mmap'd segment, so that <see cref="Memory{T}"/> (and everything
/// that takes it: streams, sockets, pipelines) reads and writes the shared pages directly. Pinning holds a reference
/// on the mapping, so the pages stay mapped until unpinned even if the segment is closed meanwhile.
/// </summary>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly MappingHandle _mapping;
    private readonly long _offset;
    private readonly int _length;

    public MappedMemory(MappingHandle mapping, long offset, int length)
    {
        _mapping = mapping;
        _offset = offset;
        _length = length;
    }

    public override Span<byte> GetSpan()
    {
        if (_mapping.IsClosed)
        {
            ThrowHelper.ThrowObjectDisposed("SharedMemory");
        }

        return new Span<byte>((byte*)_mapping.DangerousGetHandle() + _offset, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        var added = false;
        _mapping.DangerousAddRef(ref added);
        return new MemoryHandle((byte*)_mapping.DangerousGetHandle() + _offset + elementIndex, default, this);
    }

    public override void Unpin() => _mapping.DangerousRelease();

    protected override void Dispose(bool disposing)
    {
        // The mapping belongs to the SharedMemory; nothing of ours to free.
    }
}
