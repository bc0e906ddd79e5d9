using Multiprocess.Connection;

namespace Multiprocess.Fuzz;

/// <summary>
/// A peer that is only bytes: reads hand out the fuzz input (in chunks of a size the input chooses, to reach the
/// partial-header and partial-payload paths), then end of stream; writes are kept, so a target can look at what the
/// engine sent. Never blocks.
/// </summary>
internal sealed class ScriptedTransport(ReadOnlyMemory<byte> input, int chunk) : IConnectionTransport
{
    private ReadOnlyMemory<byte> _input = input;

    public int Handle => -1;

    public List<byte> Written { get; } = [];

    public int Read(Span<byte> buffer)
    {
        var n = Math.Min(Math.Min(buffer.Length, chunk), _input.Length);
        _input.Span[..n].CopyTo(buffer);
        _input = _input[n..];
        return n;
    }

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public void Write(ReadOnlySpan<byte> buffer) => Written.AddRange(buffer);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public bool Poll(TimeSpan timeout) => true;

    public void Dispose()
    {
    }
}
