using Multiprocess.Shm;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>multiprocessing.heap.Heap</c>, the same algorithm so that blocks land where CPython's would: arenas of
/// one page, doubling up to 4 MiB (an arena is <c>roundup(max(size, request), PAGESIZE)</c>); requests rounded up to a
/// multiple of 8 (at least 8); best fit over the free blocks by length (the most recently freed block of that length
/// first); a freed block merges with its free neighbours; a wholly free arena of 4 MiB or more is unmapped.
/// </summary>
/// <remarks>Thread-safe. There is no deferred free list: CPython needs one because the GC may free a block inside
/// <c>malloc</c>; here frees are explicit (<see cref="BufferWrapper.Dispose"/>).</remarks>
public sealed class Heap
{
    /// <summary>heap.py <c>_alignment</c>: the minimum malloc alignment.</summary>
    public const int Alignment = 8;

    /// <summary>heap.py <c>_DISCARD_FREE_SPACE_LARGER_THAN</c> (and <c>_DOUBLE_ARENA_SIZE_UNTIL</c>): 4 MiB.</summary>
    public const long DiscardFreeSpaceLargerThan = 4 * 1024 * 1024;

    private static readonly Lazy<Heap> s_default = new(() => new Heap());

    private readonly object _gate = new();
    private readonly List<long> _lengths = [];
    private readonly Dictionary<long, List<HeapBlock>> _lenToSeq = [];
    private readonly Dictionary<(Arena, long), HeapBlock> _startToBlock = [];
    private readonly Dictionary<(Arena, long), HeapBlock> _stopToBlock = [];
    private readonly Dictionary<Arena, HashSet<(long, long)>> _allocatedBlocks = [];
    private readonly List<Arena> _arenas = [];
    private long _size;

    /// <summary>Creates an empty heap whose first arena will be <paramref name="size"/> bytes (CPython's
    /// <c>Heap(size=mmap.PAGESIZE)</c>).</summary>
    /// <param name="size">The first arena size; null for the page size.</param>
    public Heap(long? size = null)
    {
        _size = size ?? Environment.SystemPageSize;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_size, nameof(size));
    }

    /// <summary>Gets the process's heap (CPython's <c>BufferWrapper._heap</c>), from which Value/Array allocate.</summary>
    public static Heap Default => s_default.Value;

    /// <summary>Gets the arenas in creation order (a snapshot).</summary>
    public IReadOnlyList<Arena> Arenas
    {
        get
        {
            lock (_gate)
            {
                return [.. _arenas];
            }
        }
    }

    /// <summary>heap.py <c>malloc(size)</c>: a block of <c>roundup(max(size, 1), 8)</c> bytes.</summary>
    /// <param name="size">The requested size.</param>
    /// <returns>The block (<c>Stop - Start</c> is the rounded size).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public HeapBlock Malloc(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(size, long.MaxValue - Alignment);
        lock (_gate)
        {
            size = RoundUp(Math.Max(size, 1), Alignment);
            var (arena, start, stop) = MallocBlock(size);
            var realStop = start + size;
            if (realStop < stop)
            {
                // The block is larger than needed: the rest becomes free.
                AddFreeBlock(new HeapBlock(arena, realStop, stop));
            }

            if (!_allocatedBlocks.TryGetValue(arena, out var blocks))
            {
                _allocatedBlocks[arena] = blocks = [];
            }

            blocks.Add((start, realStop));
            return new HeapBlock(arena, start, realStop);
        }
    }

    /// <summary>heap.py <c>free(block)</c>.</summary>
    /// <param name="block">A block <see cref="Malloc"/> returned.</param>
    /// <exception cref="ArgumentException">The block is not allocated from this heap (or was freed already).</exception>
    public void Free(HeapBlock block)
    {
        lock (_gate)
        {
            if (!_allocatedBlocks.TryGetValue(block.Arena, out var blocks) || !blocks.Contains((block.Start, block.Stop)))
            {
                throw new ArgumentException($"block [{block.Start}, {block.Stop}) is not allocated from this heap", nameof(block));
            }

            AddFreeBlock(block);
            blocks.Remove((block.Start, block.Stop));
            if (blocks.Count == 0)
            {
                DiscardArena(block.Arena);
            }
        }
    }

    private static long RoundUp(long n, long alignment) => (n + alignment - 1) & ~(alignment - 1);

    private HeapBlock NewArena(long size)
    {
        // Larger and larger arenas, for efficiency, until a large-ish size (roughly L3 cache-sized).
        var length = RoundUp(Math.Max(_size, size), Environment.SystemPageSize);
        if (_size < DiscardFreeSpaceLargerThan)
        {
            _size *= 2;
        }

        var arena = new Arena(length);
        _arenas.Add(arena);
        return new HeapBlock(arena, 0, length);
    }

    private void DiscardArena(Arena arena)
    {
        // Reusing an arena is faster than creating one: only large ones are given back.
        var length = arena.Size;
        if (length < DiscardFreeSpaceLargerThan)
        {
            return;
        }

        _allocatedBlocks.Remove(arena);
        _startToBlock.Remove((arena, 0));
        _stopToBlock.Remove((arena, length));
        _arenas.Remove(arena);
        var seq = _lenToSeq[length];
        seq.Remove(new HeapBlock(arena, 0, length));
        if (seq.Count == 0)
        {
            _lenToSeq.Remove(length);
            _lengths.Remove(length);
        }

        arena.Dispose();
    }

    private HeapBlock MallocBlock(long size)
    {
        // bisect_left over the sorted free lengths: the smallest free length >= size.
        var i = _lengths.BinarySearch(size);
        if (i < 0)
        {
            i = ~i;
        }

        if (i == _lengths.Count)
        {
            return NewArena(size);
        }

        var length = _lengths[i];
        var seq = _lenToSeq[length];
        var block = seq[^1];
        seq.RemoveAt(seq.Count - 1);
        if (seq.Count == 0)
        {
            _lenToSeq.Remove(length);
            _lengths.RemoveAt(i);
        }

        _startToBlock.Remove((block.Arena, block.Start));
        _stopToBlock.Remove((block.Arena, block.Stop));
        return block;
    }

    private void AddFreeBlock(HeapBlock block)
    {
        // Make the block available and merge it with its free neighbours in the arena.
        var (arena, start, stop) = block;
        if (_stopToBlock.TryGetValue((arena, start), out var previous))
        {
            (start, _) = Absorb(previous);
        }

        if (_startToBlock.TryGetValue((arena, stop), out var next))
        {
            (_, stop) = Absorb(next);
        }

        block = new HeapBlock(arena, start, stop);
        var length = stop - start;
        if (_lenToSeq.TryGetValue(length, out var seq))
        {
            seq.Add(block);
        }
        else
        {
            _lenToSeq[length] = [block];
            var at = _lengths.BinarySearch(length);
            _lengths.Insert(at < 0 ? ~at : at, length);
        }

        _startToBlock[(arena, start)] = block;
        _stopToBlock[(arena, stop)] = block;
    }

    private (long Start, long Stop) Absorb(HeapBlock block)
    {
        // Deregister the block so that it can merge with a neighbour.
        _startToBlock.Remove((block.Arena, block.Start));
        _stopToBlock.Remove((block.Arena, block.Stop));
        var length = block.Length;
        var seq = _lenToSeq[length];
        seq.Remove(block);
        if (seq.Count == 0)
        {
            _lenToSeq.Remove(length);
            _lengths.Remove(length);
        }

        return (block.Start, block.Stop);
    }
}
