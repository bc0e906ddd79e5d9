using System.Globalization;
using System.Runtime.CompilerServices;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>sharedctypes.RawValue(typecode_or_type, value)</c>: one ctypes value in shared memory, no lock. The bytes
/// are the bare native value at the start of a heap block, so a Python child that receives it reads and writes the same
/// memory through its ctypes object.
/// </summary>
/// <typeparam name="T">The .NET element type (int for <c>'i'</c>, double for <c>'d'</c>…; see <see cref="CType"/>).</typeparam>
/// <example><code>
/// using var hits = new RawValue&lt;long&gt;(0);           // ctypes.c_long
/// Interlocked.Increment(ref hits.Ref);                // atomic from C#; Python's += is not
/// </code></example>
public sealed unsafe class RawValue<T> : CTypeObject
    where T : unmanaged
{
    /// <summary>Allocates the value from <see cref="Heap.Default"/>, zeroed, then set to <paramref name="value"/>.</summary>
    /// <param name="value">The initial value.</param>
    /// <param name="typecodeOrType">A sharedctypes typecode (<c>"i"</c>) or ctypes name (<c>"c_int32"</c>); null for
    /// <typeparamref name="T"/>'s natural ctype (<see cref="CType.For{T}"/>).</param>
    /// <exception cref="ArgumentException">The ctype is unknown or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public RawValue(T value = default, string? typecodeOrType = null)
        : this(CType.Resolve<T>(typecodeOrType), value, null)
    {
    }

    /// <summary>Allocates from a given heap (tests compare layouts with a fresh CPython heap).</summary>
    internal RawValue(CType type, T value, Heap? heap)
        : base(type, new BufferWrapper(type.Size, heap), null)
    {
        Wrapper.AsSpan().Clear();
        Ref = value;
    }

    /// <summary>Views a received block.</summary>
    internal RawValue(CType type, BufferWrapper wrapper)
        : base(type, wrapper, null) => type.CheckElement<T>();

    /// <summary>Gets a reference to the value in the shared mapping (for <c>Interlocked</c>, <c>Volatile</c>, or plain
    /// access while holding a lock).</summary>
    public ref T Ref => ref Unsafe.AsRef<T>(Wrapper.Pointer);

    /// <summary>Gets or sets the value (ctypes' <c>.value</c>): a plain read or write of the shared memory.</summary>
    public T Value
    {
        get => Unsafe.Read<T>(Wrapper.Pointer);
        set => Unsafe.Write(Wrapper.Pointer, value);
    }

    /// <summary>Gets the value as a one-element span.</summary>
    /// <returns>The span over the shared mapping.</returns>
    public Span<T> AsSpan() => new(Wrapper.Pointer, 1);

    /// <summary>ctypes' repr: <c>c_int(5)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Type.Name}({Value})");

    internal override SynchronizedBase Synchronize(Synchronize.SemLock semLock) => new SharedValue<T>(this, semLock, ownsLock: false);
}
