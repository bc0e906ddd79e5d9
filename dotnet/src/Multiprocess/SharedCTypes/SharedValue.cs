using Multiprocess.Synchronize;

namespace Multiprocess.SharedCTypes;

/// <summary>
/// CPython's <c>multiprocessing.Value(typecode_or_type, value, lock=True)</c> (<c>sharedctypes.Synchronized</c>): a
/// <see cref="RawValue{T}"/> and the lock that guards it. <see cref="Value"/> takes the lock for each read or write, as
/// CPython's <c>.value</c> does; a read-modify-write needs the lock held around it.
/// </summary>
/// <typeparam name="T">The .NET element type (int for <c>'i'</c>; see <see cref="CType"/>).</typeparam>
/// <example><code>
/// using var counter = new SharedValue&lt;int&gt;(0);                 // Value('i', 0)
/// using var p = new PythonProcess("work:add_many", [counter, 1000]);
/// p.Start();
/// using (counter.EnterScope()) counter.Raw.Value += 1;          // with counter.get_lock(): counter.value += 1
/// </code></example>
public sealed class SharedValue<T> : SynchronizedBase
    where T : unmanaged
{
    /// <summary>Allocates the value from <see cref="Heap.Default"/> with a new <see cref="RLock"/> (or the lock given).</summary>
    /// <param name="value">The initial value.</param>
    /// <param name="typecodeOrType">A sharedctypes typecode or ctypes name; null for <typeparamref name="T"/>'s natural
    /// ctype.</param>
    /// <param name="lock">The lock to use (CPython's <c>lock=</c>); null creates an RLock that this object owns.</param>
    /// <exception cref="ArgumentException">The ctype is unknown or does not fit <typeparamref name="T"/>.</exception>
    /// <exception cref="IOException">The arena or the semaphore could not be created.</exception>
    public SharedValue(T value = default, string? typecodeOrType = null, SemLock? @lock = null)
        : this(new RawValue<T>(value, typecodeOrType), @lock, ownsLock: false)
    {
    }

    internal SharedValue(RawValue<T> raw, SemLock? semLock, bool ownsLock)
        : base(raw, semLock, ownsLock) => Raw = raw;

    /// <summary>Gets the unsynchronized value (CPython's <c>get_obj()</c>), for access while holding the lock.</summary>
    public RawValue<T> Raw { get; }

    /// <summary>Gets or sets the value, each under the lock.</summary>
    public T Value
    {
        get
        {
            using (Lock.EnterScope())
            {
                return Raw.Value;
            }
        }

        set
        {
            using (Lock.EnterScope())
            {
                Raw.Value = value;
            }
        }
    }

    private protected override string PythonClassName => "Synchronized";
}
