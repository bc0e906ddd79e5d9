using Multiprocess.Shm;

namespace Multiprocess.SharedCTypes;

/// <summary>heap.py's block tuple <c>(arena, start, stop)</c>: bytes [start, stop) of an arena.</summary>
/// <param name="Arena">The arena.</param>
/// <param name="Start">The first byte.</param>
/// <param name="Stop">One past the last byte.</param>
public readonly record struct HeapBlock(Arena Arena, long Start, long Stop)
{
    /// <summary>Gets the block's length in bytes.</summary>
    public long Length => Stop - Start;
}
