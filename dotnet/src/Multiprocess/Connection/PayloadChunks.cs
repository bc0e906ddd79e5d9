namespace Multiprocess.Connection;

/// <summary>
/// A long payload collected in chunks of <see cref="Connection.TrustedPayloadLength"/> that are allocated only once
/// bytes for them have arrived, then joined into one array when the last byte is in. A header that announces more
/// than the peer sends thus costs what it sent (plus less than one chunk of address space), never the declared
/// length: growing one array by doubling instead held up to twice the bytes received (the new array, and the old
/// ones left for the collector).
/// </summary>
/// <param name="length">The payload's announced length (at most <see cref="Array.MaxLength"/>).</param>
internal sealed class PayloadChunks(long length)
{
    private readonly List<byte[]> _chunks = [];
    private long _allocated;

    /// <summary>Gets a value indicating whether every chunk of the payload has been handed out.</summary>
    public bool AllAllocated => _allocated == length;

    /// <summary>Allocates the next chunk (the last one is shorter); the caller fills it whole.</summary>
    /// <returns>The chunk.</returns>
    public byte[] Next()
    {
        var chunk = GC.AllocateUninitializedArray<byte>((int)Math.Min(length - _allocated, Connection.TrustedPayloadLength));
        _chunks.Add(chunk);
        _allocated += chunk.Length;
        return chunk;
    }

    /// <summary>Copies the filled chunks, once, into one array of the payload's length.</summary>
    /// <returns>The payload.</returns>
    public byte[] Join()
    {
        var whole = GC.AllocateUninitializedArray<byte>((int)length);
        var offset = 0;
        foreach (var chunk in _chunks)
        {
            chunk.CopyTo(whole, offset);
            offset += chunk.Length;
        }

        _chunks.Clear();
        return whole;
    }
}
