using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// A ctypes object in shared memory, as <c>sharedctypes.RawValue</c>/<c>RawArray</c> make it: a
/// <see cref="BufferWrapper"/> viewed as one value or an array of <see cref="Length"/> values of <see cref="Type"/>.
/// Pickled (only while a child is being started) as <c>rebuild_ctype(ctypes.&lt;type&gt;, BufferWrapper, length or
/// None)</c>, the element type for arrays, exactly as <c>sharedctypes.reduce_ctype</c> writes it.
/// </summary>
/// <remarks>The typed views are <see cref="RawValue{T}"/> and <see cref="RawArray{T}"/>; one received from Python
/// arrives with the ctype's natural element type (<see cref="CType.ClrType"/>).</remarks>
public abstract class CTypeObject : IDisposable
{
    private protected CTypeObject(CType type, BufferWrapper wrapper, int? length)
    {
        var needed = (long)type.Size * (length ?? 1);
        if (wrapper.Size < needed)
        {
            throw new InvalidDataException(
                $"a {(length is { } n ? $"{type} array of {n}" : type.ToString())} needs {needed} bytes; its buffer has {wrapper.Size}");
        }

        Type = type;
        Wrapper = wrapper;
        Length = length;
    }

    /// <summary>Gets the ctype (of the elements, for an array).</summary>
    public CType Type { get; }

    /// <summary>Gets the shared block (CPython's <c>_wrapper</c>).</summary>
    public BufferWrapper Wrapper { get; }

    /// <summary>Gets the array length (ctypes' <c>_length_</c>), or null for a single value.</summary>
    public int? Length { get; }

    /// <summary>Gets the bytes of the object.</summary>
    /// <returns>The span over the shared mapping.</returns>
    /// <exception cref="ObjectDisposedException">The object was disposed.</exception>
    public Span<byte> AsBytes() => Wrapper.AsSpan()[..(Type.Size * (Length ?? 1))];

    /// <summary>Frees the block when this process allocated it (CPython frees it when the object is collected).</summary>
    public void Dispose()
    {
        Wrapper.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>sharedctypes.reduce_ctype: <c>rebuild_ctype, (type, wrapper, length)</c>, only while spawning.</summary>
    internal PyReduce Reduce(string package)
    {
        SpawningPopen.AssertSpawning(Length is null ? "RawValue" : "RawArray");
        return new PyReduce(
            PickledShapes.Global(package, "sharedctypes", "rebuild_ctype"),
            PyTuple.Create(new PyGlobal("ctypes", Type.Name), Wrapper, Length is { } n ? (long)n : null));
    }

    /// <summary>sharedctypes.rebuild_ctype(type_, wrapper, length) for a received pickle.</summary>
    internal static CTypeObject Rebuild(PyReduce value)
    {
        const string Expected = "rebuild_ctype(ctypes.<simple type>, heap.BufferWrapper, length or None)";
        if (value.Args is not { Count: 3 } args || args[0] is not PyGlobal { Module: "ctypes" } type
            || args[1] is not BufferWrapper wrapper || args[2] is not (null or long))
        {
            throw PickledShapes.Unexpected(Expected, value);
        }

        CType ctype;
        try
        {
            ctype = CType.Parse(type.Name);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"rebuild_ctype of ctypes.{type.Name}: {e.Message}", e);
        }

        int? length = args[2] is long n ? checked((int)n) : null;
        if (length < 0)
        {
            throw new InvalidDataException($"rebuild_ctype with a negative array length {length}");
        }

        return ctype.View(wrapper, length);
    }

    /// <summary>Wraps this object with a lock (sharedctypes.synchronized) in the typed wrapper that matches it.</summary>
    internal abstract SynchronizedBase Synchronize(Synchronize.SemLock semLock);
}
