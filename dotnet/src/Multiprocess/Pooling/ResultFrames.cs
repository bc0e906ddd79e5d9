using System.Runtime.InteropServices;
using Multiprocess.Connection;
using Multiprocess.Internal;

namespace Multiprocess.Pooling;

/// <summary>
/// The frames (<c>!i n</c> or <c>!i -1 !Q n</c>, then the payload) on a pool's result pipe, which only its result
/// thread reads. Unlike a queue reader (<see cref="Queues.PipeFrames.Read"/>, exactly one frame per read because other
/// processes read the same pipe), it reads whatever the pipe holds and keeps the start of a frame whose rest has not
/// come yet. That is what lets the pool put the pipe back in step after a worker died inside its write: everything
/// after the last whole frame is that worker's, and <see cref="DiscardPartial"/> throws it away.
/// </summary>
internal sealed unsafe class ResultFrames(int fd)
{
    private const int InitialSize = 64 * 1024;

    private byte[] _buffer = new byte[InitialSize];
    private int _start;   // the first byte not taken yet (a frame boundary)
    private int _end;     // the end of what was read

    /// <summary>Gets how many bytes are held of a frame that is not whole yet.</summary>
    public int Partial => _end - _start;

    /// <summary>Takes the next whole frame's payload out of what was read. The span is valid until the next call.</summary>
    /// <exception cref="IOException">A header announces a length no writer can produce: the stream is out of step.</exception>
    public bool TryTake(out ReadOnlySpan<byte> payload)
    {
        payload = default;
        var held = _buffer.AsSpan(_start, _end - _start);
        long length;
        int headerLength;
        try
        {
            if (!Framing.TryReadHeader(held, out length, out headerLength))
            {
                return false;
            }
        }
        catch (IOException e)
        {
            throw new IOException($"{e.Message}, on the pool's result pipe (fd {fd}): the stream is out of step", e);
        }

        if (length > Array.MaxLength - headerLength)
        {
            throw new IOException($"impossible frame length {length} on the pool's result pipe (fd {fd}): the stream is out of step");
        }

        var frameLength = headerLength + (int)length;
        if (held.Length < frameLength)
        {
            MakeRoom(frameLength);
            return false;
        }

        payload = held.Slice(headerLength, (int)length);
        _start += frameLength;
        return true;
    }

    /// <summary>One read(2) of what the pipe holds; call it once poll(2) said the pipe is readable, so it does not
    /// block.</summary>
    /// <returns><see langword="false"/> at end of stream (every writer closed the pipe).</returns>
    /// <exception cref="IOException">read(2) failed.</exception>
    public bool ReadAvailable()
    {
        if (_start == _end)
        {
            _start = _end = 0;
            if (_buffer.Length > InitialSize)
            {
                _buffer = new byte[InitialSize];   // after a large result: do not keep its room for ever
            }
        }

        if (_end == _buffer.Length)
        {
            MakeRoom(Math.Max(Framing.LongHeaderLength, (_end - _start) * 2));
        }

        fixed (byte* p = _buffer)
        {
            while (true)
            {
                var n = LibcPipe.Read(fd, p + _end, (nuint)(_buffer.Length - _end));
                if (n >= 0)
                {
                    _end += (int)n;
                    return n > 0;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw ThrowHelper.Errno($"read from the pool's result pipe (fd {fd})", errno);
                }
            }
        }
    }

    /// <summary>Throws away the start of a frame whose writer died: the stream is at a frame boundary again.</summary>
    /// <returns>How many bytes were thrown away.</returns>
    public int DiscardPartial()
    {
        var n = _end - _start;
        _start = _end = 0;
        return n;
    }

    /// <summary>Room for <paramref name="frameLength"/> bytes from <see cref="_start"/>: moves the held bytes to the
    /// front, or into a larger buffer.</summary>
    private void MakeRoom(int frameLength)
    {
        if (_buffer.Length - _start >= frameLength && _end < _buffer.Length)
        {
            return;
        }

        var held = _end - _start;
        var target = _buffer.Length >= frameLength && held < _buffer.Length
            ? _buffer
            : new byte[Math.Max(frameLength, (int)Math.Min(Array.MaxLength, (long)_buffer.Length * 2))];
        Buffer.BlockCopy(_buffer, _start, target, 0, held);
        _buffer = target;
        _start = 0;
        _end = held;
    }
}
