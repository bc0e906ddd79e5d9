using System.Buffers;

namespace Multiprocess.Tests.Connection;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/> from arrays (segments may repeat one array).</summary>
internal sealed class SequenceBuilder
{
    private Segment? _first;
    private Segment? _last;

    public SequenceBuilder Append(ReadOnlyMemory<byte> memory)
    {
        var segment = new Segment(memory, _last is null ? 0 : _last.RunningIndex + _last.Memory.Length);
        if (_last is null)
        {
            _first = segment;
        }
        else
        {
            _last.SetNext(segment);
        }

        _last = segment;
        return this;
    }

    public ReadOnlySequence<byte> Build() =>
        _first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_first, 0, _last!, _last!.Memory.Length);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
