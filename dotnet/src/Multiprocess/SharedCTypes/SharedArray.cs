using Multiprocess.Synchronize;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>multiprocessing.Array(typecode_or_type, size_or_initializer, lock=True)</c>
/// (<c>sharedctypes.SynchronizedArray</c>, or <c>SynchronizedString</c> for <c>'c'</c>): a <see cref="RawArray{T}"/>
/// and the lock that guards it. The indexer and <see cref="ToArray"/> take the lock, as CPython's item and slice access
/// do; for bulk work hold <see cref="SynchronizedBase.EnterScope"/> and use <see cref="RawArray{T}.AsSpan"/>.
/// </summary>
/// <typeparam name="T">The .NET element type (double for <c>'d'</c>; see <see cref="CType"/>).</typeparam>
public sealed class SharedArray<T> : SynchronizedBase
    where T : unmanaged
{
    /// <summary>Allocates <paramref name="length"/> zeroed elements of <typeparamref name="T"/>'s natural ctype with a
    /// new <see cref="RLock"/>.</summary>
    /// <param name="length">The number of elements.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no ctypes counterpart.</exception>
    /// <exception cref="IOException">The arena or the semaphore could not be created.</exception>
    public SharedArray(int length)
        : this(length, null, null)
    {
    }

    /// <summary>Allocates <paramref name="length"/> zeroed elements with a new <see cref="RLock"/> (or the lock given).</summary>
    /// <param name="length">The number of elements.</param>
    /// <param name="typecodeOrType">A sharedctypes typecode or ctypes name; null for the natural ctype.</param>
    /// <param name="lock">The lock to use; null creates an RLock that this object owns.</param>
    /// <exception cref="ArgumentException">The ctype is unknown or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="IOException">The arena or the semaphore could not be created.</exception>
    public SharedArray(int length, string? typecodeOrType, SemLock? @lock)
        : this(new RawArray<T>(length, typecodeOrType), @lock, ownsLock: false)
    {
    }

    /// <summary>Allocates a copy of <paramref name="initializer"/>, of <typeparamref name="T"/>'s natural ctype, with a
    /// new <see cref="RLock"/>.</summary>
    /// <param name="initializer">The elements.</param>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no ctypes counterpart.</exception>
    /// <exception cref="IOException">The arena or the semaphore could not be created.</exception>
    public SharedArray(ReadOnlySpan<T> initializer)
        : this(initializer, null, null)
    {
    }

    /// <summary>Allocates a copy of <paramref name="initializer"/> with a new <see cref="RLock"/> (or the lock given).</summary>
    /// <param name="initializer">The elements.</param>
    /// <param name="typecodeOrType">A sharedctypes typecode or ctypes name; null for the natural ctype.</param>
    /// <param name="lock">The lock to use; null creates an RLock that this object owns.</param>
    /// <exception cref="ArgumentException">The ctype is unknown or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="IOException">The arena or the semaphore could not be created.</exception>
    public SharedArray(ReadOnlySpan<T> initializer, string? typecodeOrType, SemLock? @lock)
        : this(new RawArray<T>(initializer, typecodeOrType), @lock, ownsLock: false)
    {
    }

    internal SharedArray(RawArray<T> raw, SemLock? semLock, bool ownsLock)
        : base(raw, semLock, ownsLock) => Raw = raw;

    /// <summary>Gets the unsynchronized array (CPython's <c>get_obj()</c>), for access while holding the lock.</summary>
    public RawArray<T> Raw { get; }

    /// <summary>Gets the number of elements (<c>len()</c>).</summary>
    public int Count => Raw.Count;

    /// <summary>Gets or sets an element under the lock.</summary>
    /// <param name="index">The index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the array.</exception>
    public T this[int index]
    {
        get
        {
            using (Lock.EnterScope())
            {
                return Raw[index];
            }
        }

        set
        {
            using (Lock.EnterScope())
            {
                Raw[index] = value;
            }
        }
    }

    /// <summary>Copies the elements out under the lock (<c>arr[:]</c>).</summary>
    /// <returns>The copy.</returns>
    public T[] ToArray()
    {
        using (Lock.EnterScope())
        {
            return Raw.ToArray();
        }
    }

    private protected override string PythonClassName => Raw.Type.Name == "c_char" ? "SynchronizedString" : "SynchronizedArray";
}
