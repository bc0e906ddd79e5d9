using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Conn = Multiprocess.Connection.Connection;
using SyncLock = Multiprocess.Synchronize.Lock;

namespace Multiprocess.Queues;

/// <summary>
/// CPython's <c>multiprocessing.SimpleQueue</c> (docs/protocols.md §4.3): a pipe with a reader lock and a writer lock,
/// no feeder thread and no count. <see cref="Put"/> pickles and writes at once (blocking while the pipe is full);
/// <see cref="Get"/> reads exactly one frame. Pools use two of them for tasks and results.
/// </summary>
public sealed class SimpleQueue : IDisposable
{
    private readonly PickleOptions _pickleOptions;
    private readonly UnpickleOptions _unpickleOptions;

    /// <summary>Creates a simple queue: a pipe and two locks, shareable with Python children.</summary>
    /// <param name="package"><c>multiprocessing</c> or <c>multiprocess</c>.</param>
    /// <param name="registry">Type bindings for pickling items; null for <see cref="ForkingPickler.GetRegistry"/>.</param>
    /// <exception cref="IOException">The pipe or a semaphore could not be created.</exception>
    public SimpleQueue(string package = "multiprocessing", PyTypeRegistry? registry = null)
    {
        Package = package;
        (Reader, Writer) = Conn.Pipe(duplex: false);
        RLock = new SyncLock();
        WLock = new SyncLock();
        var r = registry ?? ForkingPickler.GetRegistry(package);
        (_pickleOptions, _unpickleOptions) = (new PickleOptions { Registry = r }, new UnpickleOptions { Registry = r });
    }

    private SimpleQueue(Conn reader, Conn writer, SyncLock rlock, SyncLock? wlock, string package)
    {
        Package = package;
        Reader = reader;
        Writer = writer;
        RLock = rlock;
        WLock = wlock;
        var r = ForkingPickler.GetRegistry(package);
        (_pickleOptions, _unpickleOptions) = (new PickleOptions { Registry = r }, new UnpickleOptions { Registry = r });
    }

    /// <summary>Gets the package the queue pickles as.</summary>
    public string Package { get; }

    /// <summary>Gets the read end of the pipe.</summary>
    public Conn Reader { get; }

    /// <summary>Gets the write end of the pipe.</summary>
    public Conn Writer { get; }

    /// <summary>Gets the lock readers take.</summary>
    public SyncLock RLock { get; }

    /// <summary>
    /// Gets or sets a lock that replaces <see cref="RLock"/> for this process's readers, when every reader of the pipe
    /// agreed on it (the pool's task pipe: see <see cref="FlockLock"/>).
    /// </summary>
    internal FlockLock? ReadGate { get; set; }

    /// <summary>Gets or sets a value indicating whether each frame is behind <see cref="MarkedPipeFrames.Marker"/>
    /// (a pool's task pipe, which only the pool and its own workers use).</summary>
    internal bool FramesMarked { get; set; }

    /// <summary>Gets the lock writers take (null only for queues from Windows).</summary>
    public SyncLock? WLock { get; }

    /// <summary>Pickles and writes an item (CPython <c>put(obj)</c>): pickled first, then written whole under
    /// <c>wlock</c>; blocks while the pipe is full.</summary>
    /// <param name="item">The item.</param>
    /// <exception cref="PicklingException">The item cannot be pickled.</exception>
    /// <exception cref="IOException">The write failed (e.g. every reader has closed the pipe).</exception>
    /// <exception cref="ObjectDisposedException">The queue is closed.</exception>
    public void Put(object? item) => PutFrame(PipeFrames.Frame(item, _pickleOptions));

    /// <summary>Reads and unpickles one item (CPython <c>get()</c>), waiting as long as it takes.</summary>
    /// <returns>The item.</returns>
    /// <exception cref="EndOfStreamException">Every writer has closed the pipe.</exception>
    /// <exception cref="ObjectDisposedException">The queue is closed.</exception>
    public object? Get() => PickleSerializer.Loads(GetFrame(Timeout.InfiniteTimeSpan)!, _unpickleOptions);

    /// <summary>Tries to get an item within <paramref name="timeout"/> (an extension: CPython's get always blocks).</summary>
    /// <param name="item">The item, when one came.</param>
    /// <param name="timeout">The longest wait for the lock and for input.</param>
    /// <returns>Whether an item came.</returns>
    /// <exception cref="EndOfStreamException">Every writer has closed the pipe.</exception>
    public bool TryGet(out object? item, TimeSpan timeout)
    {
        var frame = GetFrame(timeout);
        item = frame is null ? null : PickleSerializer.Loads(frame, _unpickleOptions);
        return frame is not null;
    }

    /// <summary>Whether nothing is in the pipe now (CPython <c>empty()</c>).</summary>
    /// <returns>Whether it is empty.</returns>
    public bool IsEmpty() => !PipeFrames.Poll(Reader.Fileno(), Deadline.From(TimeSpan.Zero));

    /// <summary>Closes both pipe ends in this process (CPython 3.9+ <c>close()</c>).</summary>
    public void Close()
    {
        Reader.Close();
        Writer.Close();
    }

    /// <summary>Closes, and in the creating process removes the lock names.</summary>
    public void Dispose()
    {
        Close();
        RLock.Dispose();
        WLock?.Dispose();
    }

    /// <summary>What CPython writes when it sends this queue to a spawned child: NEWOBJ(queues.SimpleQueue) + BUILD
    /// <c>(reader, writer, rlock, wlock)</c>.</summary>
    /// <returns>The reduce value.</returns>
    /// <exception cref="InvalidOperationException">No child is being spawned on this thread.</exception>
    public PyReduce Reduce()
    {
        SpawningPopen.AssertSpawning(nameof(SimpleQueue));
        return PyReduce.NewObj(PickledShapes.Global(Package, "queues", "SimpleQueue"), state: PyTuple.Create(Reader, Writer, RLock, WLock));
    }

    /// <summary>Rebuilds a simple queue from CPython's pickled state.</summary>
    /// <param name="value">NEWOBJ(queues.SimpleQueue) + BUILD 4-tuple.</param>
    /// <returns>The queue.</returns>
    /// <exception cref="InvalidDataException">The value is not a pickled SimpleQueue.</exception>
    public static SimpleQueue Rebuild(PyReduce value)
    {
        var state = Queue.StateOf(value, "SimpleQueue", 4);
        return new SimpleQueue(
            Queue.As<Conn>(state[0], "reader"), Queue.As<Conn>(state[1], "writer"), Queue.As<SyncLock>(state[2], "rlock"),
            state[3] as SyncLock, Queue.PackageOf(value));
    }

    /// <summary>Writes an already framed item under <c>wlock</c> (pools write pickled tasks this way).</summary>
    internal void PutFrame(ReadOnlySpan<byte> frame)
    {
        var fd = Writer.Fileno();
        WLock?.Acquire();
        try
        {
            PipeFrames.Write(fd, frame);
        }
        finally
        {
            WLock?.Release();
        }
    }

    /// <summary>Reads one frame under <c>rlock</c>, or returns null if the lock or input did not come in time.</summary>
    internal byte[]? GetFrame(TimeSpan timeout)
    {
        var fd = Reader.Fileno();
        var infinite = timeout == Timeout.InfiniteTimeSpan;
        var deadline = Deadline.From(timeout);
        var gate = ReadGate;
        if (!(gate?.Acquire(infinite ? null : timeout) ?? RLock.Acquire(true, infinite ? null : timeout)))
        {
            return null;
        }

        try
        {
            return infinite || PipeFrames.Poll(fd, deadline) ? (FramesMarked ? MarkedPipeFrames.Read(fd) : PipeFrames.Read(fd)) : null;
        }
        finally
        {
            if (gate is not null)
            {
                gate.Release();
            }
            else
            {
                RLock.Release();
            }
        }
    }
}
