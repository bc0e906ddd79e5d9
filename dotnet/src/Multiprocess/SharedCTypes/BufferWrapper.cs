using System.Collections.Concurrent;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Shm;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>multiprocessing.heap.BufferWrapper</c>: <see cref="Size"/> bytes at the start of a heap block, the
/// memory behind a Value or Array. Pickled as CPython pickles it (protocol 2+ default object pickling):
/// <c>NEWOBJ(heap.BufferWrapper)</c> + BUILD <c>{'_state': ((arena, start, stop), size)}</c>, the arena as
/// <c>rebuild_arena(size, DupFd(fd))</c> (docs/sharedctypes.md).
/// </summary>
public sealed unsafe class BufferWrapper : IDisposable
{
    // Arenas received from another process live as long as this one: views of them hand out spans, which must never
    // outlive the mapping (a finalizer unmapping under a live span would crash the process). CPython keeps them while
    // any ctypes object refers to them, which in practice is the life of the child.
    private static readonly ConcurrentDictionary<Arena, byte> s_received = new(ReferenceEqualityComparer.Instance);

    private readonly Heap? _heap;
    private int _disposed;

    /// <summary>Allocates <paramref name="size"/> bytes from <paramref name="heap"/> (CPython's
    /// <c>BufferWrapper(size)</c>); the bytes are not cleared.</summary>
    /// <param name="size">The size in bytes (≥ 0).</param>
    /// <param name="heap">The heap; null for <see cref="Heap.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is negative.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public BufferWrapper(long size, Heap? heap = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _heap = heap ?? Heap.Default;
        Block = _heap.Malloc(size);
        Size = size;
        Pointer = (byte*)Block.Arena.Address + Block.Start;
    }

    private BufferWrapper(HeapBlock block, long size)
    {
        Block = block;
        Size = size;
        Pointer = (byte*)block.Arena.Address + block.Start;
    }

    /// <summary>Gets the heap block <c>(arena, start, stop)</c>.</summary>
    public HeapBlock Block { get; }

    /// <summary>Gets the size in bytes (at most the block's length).</summary>
    public long Size { get; }

    /// <summary>Gets whether this process allocated the block (false for a wrapper received from another process).</summary>
    public bool IsOwner => _heap is not null;

    /// <summary>Gets the first byte in this process's mapping.</summary>
    internal byte* Pointer { get; }

    /// <summary>Gets the bytes (CPython's <c>create_memoryview()</c>).</summary>
    /// <returns>The span over the shared mapping.</returns>
    /// <exception cref="ObjectDisposedException">The block was freed.</exception>
    public Span<byte> AsSpan()
    {
        ThrowIfDisposed();
        return new Span<byte>(Pointer, checked((int)Size));
    }

    /// <summary>Gives the block back to the heap (CPython does this when the wrapper is garbage collected); nothing for
    /// a received wrapper, whose arena stays mapped for the life of the process.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _heap?.Free(Block);
        }
    }

    /// <summary>CPython's pickled form: <c>NEWOBJ(heap.BufferWrapper)</c> + BUILD <c>{'_state': ((arena, start, stop),
    /// size)}</c>; the arena is this object's <see cref="Arena"/>, which the pickler memoizes and reduces with
    /// <see cref="ReduceArena"/>.</summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <returns>The reduce value.</returns>
    internal PyReduce Reduce(string package)
    {
        ThrowIfDisposed();
        return PyReduce.NewObj(
            PickledShapes.Global(package, "heap", "BufferWrapper"),
            state: new PyDict { ["_state"] = PyTuple.Create(PyTuple.Create(Block.Arena, Block.Start, Block.Stop), Size) });
    }

    /// <summary>Rebuilds a wrapper CPython pickled (its arena already rebuilt by <see cref="RebuildArena"/>).</summary>
    /// <exception cref="InvalidDataException">The value is not a pickled BufferWrapper, or the block lies outside its
    /// arena.</exception>
    internal static BufferWrapper Rebuild(PyReduce value)
    {
        const string Expected = "NEWOBJ(heap.BufferWrapper) + BUILD {'_state': ((arena, start, stop), size)}";
        if (value.State is not PyDict state || state.Get("_state") is not PyTuple { Count: 2 } st
            || st[0] is not PyTuple { Count: 3 } block || block[0] is not Arena arena
            || block[1] is not long start || block[2] is not long stop || st[1] is not long size)
        {
            throw PickledShapes.Unexpected(Expected, value);
        }

        if (start < 0 || stop < start || stop > arena.Size || size < 0 || size > stop - start)
        {
            throw new InvalidDataException(
                $"the pickled BufferWrapper's block [{start}, {stop}) of size {size} does not fit its arena of {arena.Size} bytes");
        }

        return new BufferWrapper(new HeapBlock(arena, start, stop), size);
    }

    /// <summary>heap.py <c>reduce_arena</c>: <c>rebuild_arena, (size, DupFd(fd))</c>.</summary>
    internal static PyReduce ReduceArena(Arena arena, string package) =>
        new(PickledShapes.Global(package, "heap", "rebuild_arena"), PyTuple.Create(arena.Size, Processes.ProcessReducers.DupFd(arena.Fd)));

    /// <summary>heap.py <c>rebuild_arena(size, dupfd)</c>: <c>Arena(size, dupfd.detach())</c>, mapped here.</summary>
    internal static Arena RebuildArena(PyReduce value)
    {
        if (value.Args is not { Count: 2 } args || args[0] is not long size || size <= 0)
        {
            throw PickledShapes.Unexpected("rebuild_arena(size > 0, DupFd)", value);
        }

        var arena = Arena.FromFd(Processes.ProcessReducers.DetachFd(args[1]), size);
        s_received[arena] = 0;
        return arena;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
