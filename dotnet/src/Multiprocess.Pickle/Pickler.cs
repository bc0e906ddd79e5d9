using System.Buffers;

namespace Multiprocess.Pickle;

/// <summary>The object-level writer (stub; implementation follows).</summary>
internal sealed class Pickler(PickleOptions options) : IDisposable
{
    public PickleOptions Options { get; } = options;

    public byte[] DumpToArray(object? value) => throw new NotImplementedException();

    public void Dump(IBufferWriter<byte> output, object? value) => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
