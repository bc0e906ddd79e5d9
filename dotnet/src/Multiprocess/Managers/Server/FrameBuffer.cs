using System.Buffers;

namespace Multiprocess.Managers.Server;

/// <summary>
/// A reusable receive buffer for one connection's frames that also notices large frames as they start: a stock
/// client writes a frame above 16 KiB as two writes (header, then payload), and on TCP its Nagle algorithm holds
/// the payload until the header is acknowledged, which the server's delayed ACK puts off by ~40 ms. The callback
/// lets the server acknowledge at once.
/// </summary>
/// <remarks>
/// A frame that takes more than one request for room (above 1 MiB: the connection asks for at most that much at a
/// time, and only once bytes for it have arrived) is kept in chunks of exactly the size asked for and joined once when
/// it is read, so a header announcing 1 GiB costs the server what the peer really sent. Growing one array by doubling
/// instead held up to twice that.
/// </remarks>
internal sealed class FrameBuffer(Action? onLargeFrame) : IBufferWriter<byte>
{
    /// <summary>CPython's <c>_send_bytes</c> joins header and payload only up to this size.</summary>
    internal const int SplitWriteThreshold = 16 * 1024;
    private const int KeepCapacity = 1 << 20;
    private const int MinimumChunk = 4096;

    private byte[] _current = GC.AllocateUninitializedArray<byte>(MinimumChunk);
    private int _used;
    private List<ArraySegment<byte>>? _filled;
    private bool _frameStart = true;

    /// <summary>Gets the frame received so far, as one span (a frame in chunks is joined first).</summary>
    public ReadOnlySpan<byte> WrittenSpan
    {
        get
        {
            if (_filled is { Count: > 0 })
            {
                Join();
            }

            return _current.AsSpan(0, _used);
        }
    }

    /// <summary>Prepares for the next frame (and drops a buffer a huge frame left behind).</summary>
    public void Reset()
    {
        if (_current.Length > KeepCapacity)
        {
            _current = GC.AllocateUninitializedArray<byte>(MinimumChunk);
        }

        _filled?.Clear();
        _used = 0;
        _frameStart = true;
    }

    public void Advance(int count)
    {
        if (count < 0 || count > _current.Length - _used)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Advance past the room asked for ({_current.Length - _used} bytes)");
        }

        _used += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        // Reserve may replace _current: read the field after it.
        var start = Reserve(sizeHint);
        return _current.AsMemory(start);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        var start = Reserve(sizeHint);
        return _current.AsSpan(start);
    }

    /// <summary>Makes room for <paramref name="sizeHint"/> bytes (at least one) in the current chunk.</summary>
    /// <returns>Where the room starts in the current chunk.</returns>
    private int Reserve(int sizeHint)
    {
        // The first request of a frame asks for min(length, 1 MiB): above the threshold the client split its write.
        if (_frameStart)
        {
            _frameStart = false;
            if (sizeHint > SplitWriteThreshold)
            {
                onLargeFrame?.Invoke();
            }
        }

        var need = Math.Max(sizeHint, 1);
        if (_current.Length - _used >= need)
        {
            return _used;
        }

        if (_used > 0)
        {
            (_filled ??= []).Add(new ArraySegment<byte>(_current, 0, _used));
        }

        _current = GC.AllocateUninitializedArray<byte>(Math.Max(need, MinimumChunk));
        _used = 0;
        return 0;
    }

    private void Join()
    {
        var total = (long)_used;
        foreach (var chunk in _filled!)
        {
            total += chunk.Count;
        }

        if (total > Array.MaxLength)
        {
            throw new InvalidOperationException($"A frame of {total} bytes is more than one array holds ({Array.MaxLength})");
        }

        var whole = GC.AllocateUninitializedArray<byte>((int)total);
        var offset = 0;
        foreach (var chunk in _filled)
        {
            chunk.AsSpan().CopyTo(whole.AsSpan(offset));
            offset += chunk.Count;
        }

        _current.AsSpan(0, _used).CopyTo(whole.AsSpan(offset));
        _filled.Clear();
        _current = whole;
        _used = (int)total;
    }
}
