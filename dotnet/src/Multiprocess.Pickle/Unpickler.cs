namespace Multiprocess.Pickle;

/// <summary>The object-level reader (stub; implementation follows).</summary>
internal sealed class Unpickler(UnpickleOptions options)
{
    public UnpickleOptions Options { get; } = options;

    public object? Load(ReadOnlySpan<byte> data, out int bytesConsumed) => throw new NotImplementedException();
}
