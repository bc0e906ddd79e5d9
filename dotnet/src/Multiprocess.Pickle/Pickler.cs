using System.Buffers;

namespace Multiprocess.Pickle;

/// <summary>
/// The object-level writer, shaped after CPython's C pickler (Modules/_pickle.c) so builtin values come out byte for
/// byte the same: the same opcode choices, memoization (MEMOIZE after each memoizable object, BINGET on repeats and
/// recursion), batching of APPENDS/SETITEMS/ADDITEMS by 1000, and framing (FRAME headers committed at opcode
/// boundaries once a frame reaches 64 KiB; payloads of 64 KiB and more written outside frames).
/// </summary>
internal sealed partial class Pickler : IDisposable
{
    private const int BatchSize = 1000;              // _pickle.c BATCHSIZE

    [ThreadStatic]
    private static Pickler? t_cached;

    private PickleOptions _options = PickleOptions.Default;
    private int _protocol;
    private int _maxDepth;

    // A mutable struct, written through this field in place: never copy it to a local.
    private PickleWriter _out = new(ArrayPool<byte>.Shared.Rent(256));
    private int _depth;
    private bool _hasPersistentId;

    private Pickler()
    {
    }

    /// <summary>Takes this thread's idle pickler (or a new one) set up for <paramref name="options"/>; give it back with Dispose.</summary>
    public static Pickler Rent(PickleOptions options)
    {
        if (options.Protocol is < 2 or > Opcodes.HighestProtocol)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Protocol, "pickle protocol must be 2, 3, 4 or 5");
        }

        var p = t_cached ?? new Pickler();
        t_cached = null;
        p._options = options;
        p._hasPersistentId = options.PersistentId is not null;
        p._protocol = options.Protocol;
        p._maxDepth = options.Security.MaxDepth;
        return p;
    }

    public byte[] DumpToArray(object? value)
    {
        DumpCore(value);
        return _out.ToArray();
    }

    public void Dump(IBufferWriter<byte> output, object? value)
    {
        _out.SetOutput(output);
        DumpCore(value);
        _out.Flush();
    }

    /// <summary>Resets the pickler and parks it for this thread's next call (dropping large buffers).</summary>
    public void Dispose()
    {
        _memo.Clear();
        _memoNext = 0;
        _globalMemo = null;
        _nameMemo = null;
        _utc = null;
        _out.Reset();
        _depth = 0;
        _options = PickleOptions.Default;

        t_cached = this;
    }

    private void DumpCore(object? value)
    {
        _out.WriteProto(_protocol);
        try
        {
            Save(value);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new PicklingException($"the value nests too deeply to pickle (maximum recursion depth exceeded at depth {_depth})", e);
        }

        _out.WriteStop();
    }
}
