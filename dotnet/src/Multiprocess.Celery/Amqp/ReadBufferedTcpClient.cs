using System.Net.Sockets;
using RabbitMQ.Client;

namespace Multiprocess.Celery.Amqp;

/// <summary>
/// RabbitMQ.Client's socket (ConnectionFactoryBase.DefaultSocketFactory: TCP_NODELAY) with a stream that reads the
/// socket in 128 KiB chunks. The client's frame reader (a PipeReader over the stream) asks for 4 KiB at a time, so a
/// 1 MiB message cost ~260 receive calls; from this buffer it costs one per 128 KiB (RabbitMQ's frame_max).
/// </summary>
internal sealed class ReadBufferedTcpClient(Socket socket) : TcpClientAdapter(socket)
{
    /// <summary>The factory for <see cref="ConnectionFactoryBase.SocketFactory"/>.</summary>
    /// <param name="family">The address family.</param>
    /// <returns>An unconnected client.</returns>
    public static ITcpClient Create(AddressFamily family) =>
        new ReadBufferedTcpClient(new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });

    /// <inheritdoc/>
    public override NetworkStream GetStream() => new ReadBufferedNetworkStream(Client);

    private sealed class ReadBufferedNetworkStream(Socket socket) : NetworkStream(socket, ownsSocket: false)
    {
        private const int BufferSize = 128 * 1024;
        private readonly byte[] _buffer = new byte[BufferSize];
        private int _start;
        private int _end;

        public override bool DataAvailable => _start < _end || base.DataAvailable;

        public override int Read(Span<byte> buffer)
        {
            if (_start == _end)
            {
                if (buffer.Length >= BufferSize)
                {
                    return base.Read(buffer);
                }

                _start = 0;
                _end = base.Read(_buffer);
            }

            return Take(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int ReadByte()
        {
            Span<byte> one = stackalloc byte[1];
            return Read(one) == 0 ? -1 : one[0];
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_start < _end)
            {
                return new ValueTask<int>(Take(buffer.Span));
            }

            return buffer.Length >= BufferSize ? base.ReadAsync(buffer, cancellationToken) : FillAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
            TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

        public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

        private async ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var n = await base.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            _start = 0;
            _end = n;
            return Take(buffer.Span);
        }

        // Hands out what the buffer holds (0 at the end of the stream).
        private int Take(Span<byte> destination)
        {
            var n = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }
    }
}
