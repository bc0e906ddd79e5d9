using System.Globalization;
using System.Runtime.CompilerServices;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>sharedctypes.RawArray(typecode_or_type, size_or_initializer)</c>: <see cref="CTypeObject.Length"/>
/// contiguous native values in shared memory, no lock; <see cref="AsSpan"/> reads and writes them in place.
/// </summary>
/// <typeparam name="T">The .NET element type (double for <c>'d'</c>…; see <see cref="CType"/>).</typeparam>
/// <example><code>
/// using var samples = new RawArray&lt;double&gt;(1_000_000);   // ctypes.c_double * 1000000, zeroed
/// samples.AsSpan().Fill(1.5);
/// </code></example>
public sealed unsafe class RawArray<T> : CTypeObject
    where T : unmanaged
{
    /// <summary>Allocates <paramref name="length"/> zeroed elements of <typeparamref name="T"/>'s natural ctype from
    /// <see cref="Heap.Default"/>.</summary>
    /// <param name="length">The number of elements (≥ 0).</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no ctypes counterpart.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public RawArray(int length)
        : this(length, null)
    {
    }

    /// <summary>Allocates <paramref name="length"/> zeroed elements from <see cref="Heap.Default"/>.</summary>
    /// <param name="length">The number of elements (≥ 0).</param>
    /// <param name="typecodeOrType">A sharedctypes typecode or ctypes name; null for <typeparamref name="T"/>'s natural
    /// ctype.</param>
    /// <exception cref="ArgumentException">The ctype is unknown or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public RawArray(int length, string? typecodeOrType)
        : this(CType.Resolve<T>(typecodeOrType), CheckLength(length), null)
    {
    }

    /// <summary>Allocates a copy of <paramref name="initializer"/> (CPython's sequence initializer), of
    /// <typeparamref name="T"/>'s natural ctype.</summary>
    /// <param name="initializer">The elements.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no ctypes counterpart.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public RawArray(ReadOnlySpan<T> initializer)
        : this(initializer, null)
    {
    }

    /// <summary>Allocates a copy of <paramref name="initializer"/> (CPython's sequence initializer).</summary>
    /// <param name="initializer">The elements.</param>
    /// <param name="typecodeOrType">A sharedctypes typecode or ctypes name; null for the natural ctype.</param>
    /// <exception cref="ArgumentException">The ctype is unknown or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="IOException">A new arena could not be created.</exception>
    public RawArray(ReadOnlySpan<T> initializer, string? typecodeOrType)
        : this(CType.Resolve<T>(typecodeOrType), initializer.Length, null) => initializer.CopyTo(AsSpan());

    /// <summary>Allocates from a given heap (tests compare layouts with a fresh CPython heap).</summary>
    internal RawArray(CType type, int length, Heap? heap)
        : base(type, new BufferWrapper((long)type.Size * length, heap), length) => Wrapper.AsSpan().Clear();

    /// <summary>Views a received block.</summary>
    internal RawArray(CType type, BufferWrapper wrapper, int length)
        : base(type, wrapper, length) => type.CheckElement<T>();

    /// <summary>Gets the number of elements.</summary>
    public int Count => Length!.Value;

    /// <summary>Gets a reference to an element in the shared mapping.</summary>
    /// <param name="index">The index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the array.</exception>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"index out of range for an array of {Count}");
            }

            return ref Unsafe.Add(ref Unsafe.AsRef<T>(Wrapper.Pointer), index);
        }
    }

    /// <summary>Gets the elements as a span over the shared mapping.</summary>
    /// <returns>The span.</returns>
    public Span<T> AsSpan() => new(Wrapper.Pointer, Count);

    /// <summary>Copies the elements out.</summary>
    /// <returns>The copy.</returns>
    public T[] ToArray() => AsSpan().ToArray();

    /// <summary>ctypes' type name shape: <c>c_double_Array_3</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Type.Name}_Array_{Count}");

    internal override SynchronizedBase Synchronize(Synchronize.SemLock semLock) => new SharedArray<T>(this, semLock, ownsLock: false);

    private static int CheckLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return length;
    }
}
