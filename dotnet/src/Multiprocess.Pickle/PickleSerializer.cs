using System.Buffers;

namespace Multiprocess.Pickle;

/// <summary>
/// The codec's entry points: Python's <c>pickle.dumps</c> / <c>pickle.loads</c> over the object model (see
/// README.md for the Python ↔ C# type mapping).
/// </summary>
/// <example><code>
/// byte[] request = PickleSerializer.Dumps(PyTuple.Create(null, "create", PyTuple.Create("dict"), new PyDict()));
/// object? reply = PickleSerializer.Loads(frame);
/// </code></example>
public static class PickleSerializer
{
    /// <summary>Pickles a value (<c>pickle.dumps(value, protocol)</c>), framed and memoized as CPython's C pickler does.</summary>
    /// <param name="value">The value: the object model, natural C# values, or a registered type.</param>
    /// <param name="options">Protocol, buffer callback, registry; null for <see cref="PickleOptions.Default"/>.</param>
    /// <returns>The pickle.</returns>
    /// <exception cref="PicklingException">The value (or something in it) cannot be pickled, or it nests deeper than the limit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The protocol is not 2–5.</exception>
    public static byte[] Dumps(object? value, PickleOptions? options = null)
    {
        using var pickler = Pickler.Rent(options ?? PickleOptions.Default);
        return pickler.DumpToArray(value);
    }

    /// <summary>Pickles a value into <paramref name="output"/>.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Options; null for <see cref="PickleOptions.Default"/>.</param>
    /// <exception cref="PicklingException">The value cannot be pickled.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The protocol is not 2–5.</exception>
    public static void Dump(IBufferWriter<byte> output, object? value, PickleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var pickler = Pickler.Rent(options ?? PickleOptions.Default);
        pickler.Dump(output, value);
    }

    /// <summary>Unpickles one value (<c>pickle.loads</c>); bytes after STOP are ignored, as CPython does.</summary>
    /// <param name="data">The pickle.</param>
    /// <param name="options">Buffers, hooks, registry, limits; null for <see cref="UnpickleOptions.Default"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="UnpicklingException">The pickle is malformed or exceeds a limit; the message names the opcode and offset.</exception>
    /// <exception cref="EndOfStreamException">The pickle is truncated.</exception>
    public static object? Loads(ReadOnlySpan<byte> data, UnpickleOptions? options = null) =>
        Load(data, out _, options);

    /// <summary>Unpickles one value from a possibly multi-segment sequence.</summary>
    /// <param name="data">The pickle.</param>
    /// <param name="options">Options; null for <see cref="UnpickleOptions.Default"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="UnpicklingException">The pickle is malformed or exceeds a limit.</exception>
    /// <exception cref="EndOfStreamException">The pickle is truncated.</exception>
    public static object? Loads(in ReadOnlySequence<byte> data, UnpickleOptions? options = null)
    {
        if (data.IsSingleSegment)
        {
            return Load(data.FirstSpan, out _, options);
        }

        var length = checked((int)data.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            data.CopyTo(rented);
            return Load(rented.AsSpan(0, length), out _, options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Unpickles one value and reports how many bytes it used (through STOP), for several pickles in a row.</summary>
    /// <param name="data">The input, starting at a pickle.</param>
    /// <param name="bytesConsumed">The offset just after STOP.</param>
    /// <param name="options">Options; null for <see cref="UnpickleOptions.Default"/>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="UnpicklingException">The pickle is malformed or exceeds a limit.</exception>
    /// <exception cref="EndOfStreamException">The pickle is truncated.</exception>
    public static object? Load(ReadOnlySpan<byte> data, out int bytesConsumed, UnpickleOptions? options = null)
    {
        var unpickler = Unpickler.Rent(options ?? UnpickleOptions.Default);
        try
        {
            return unpickler.Load(data, out bytesConsumed);
        }
        finally
        {
            unpickler.Return();
        }
    }
}
