using System.Buffers;

namespace Multiprocess.Managers.Server;

/// <summary>
/// A reusable receive buffer for one connection's frames that also notices large frames as they start: a stock
/// client writes a frame above 16 KiB as two writes (header, then payload), and on TCP its Nagle algorithm holds
/// the payload until the header is acknowledged, which the server's delayed ACK puts off by ~40 ms. The callback
/// lets the server acknowledge at once.
/// </summary>
internal sealed class FrameBuffer(Action? onLargeFrame) : IBufferWriter<byte>
{
    /// <summary>CPython's <c>_send_bytes</c> joins header and payload only up to this size.</summary>
    private const int SplitWriteThreshold = 16 * 1024;
    private const int KeepCapacity = 1 << 20;

    private ArrayBufferWriter<byte> _buffer = new(4096);
    private bool _frameStart = true;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    /// <summary>Prepares for the next frame (and drops a buffer a huge frame left behind).</summary>
    public void Reset()
    {
        if (_buffer.Capacity > KeepCapacity)
        {
            _buffer = new ArrayBufferWriter<byte>(4096);
        }
        else
        {
            _buffer.ResetWrittenCount();
        }

        _frameStart = true;
    }

    public void Advance(int count) => _buffer.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        OnRequest(sizeHint);
        return _buffer.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        OnRequest(sizeHint);
        return _buffer.GetSpan(sizeHint);
    }

    private void OnRequest(int sizeHint)
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
    }
}
