using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Synchronize;
using Conn = Multiprocess.Connection.Connection;
using SyncLock = Multiprocess.Synchronize.Lock;

namespace Multiprocess.Queues;

/// <summary>
/// CPython's <c>multiprocessing.Queue</c> (docs/protocols.md §4.1), shared with Python processes: an OS pipe of framed
/// pickles, a <c>rlock</c> serialising readers, a <c>wlock</c> serialising writers and a
/// <see cref="BoundedSemaphore"/> counting the items (<c>maxsize</c>). C# and Python readers and writers may use
/// one queue together: every reader takes <c>rlock</c> and reads exactly one whole frame, every writer takes
/// <c>wlock</c> and writes whole frames.
/// </summary>
/// <remarks>
/// <para>As in CPython, <see cref="Put(object?, bool, TimeSpan?)"/> counts the item, pickles it and hands it to a
/// feeder thread that writes it, so a put never waits for a reader; items reach the pipe before this process exits
/// unless <see cref="CancelJoinThread"/> was called.</para>
/// <para>Hand a queue to a Python child in the arguments of a <see cref="Processes.PythonProcess"/> (it pickles as CPython's
/// 8-tuple state, the pipe fds passed to the child); a C# child of a Python parent receives the parent's queues the
/// same way (<see cref="Processes.SpawnedChild"/>).</para>
/// </remarks>
/// <example><code>
/// using var q = new Queue();
/// var child = new PythonProcess("mymodule:produce", [q]);
/// child.Start();
/// object? item = q.Get(timeout: TimeSpan.FromSeconds(10));
/// </code></example>
public partial class Queue : IDisposable
{
    private readonly object _feederGate = new();
    private readonly PickleOptions _pickleOptions;
    private readonly UnpickleOptions _unpickleOptions;
    private QueueFeeder? _feeder;
    private bool _joinCancelled;
    private volatile bool _closed;

    /// <summary>Creates a queue: a pipe, two <see cref="SyncLock"/>s and a <see cref="BoundedSemaphore"/>, all
    /// shareable with Python children.</summary>
    /// <param name="maxSize">The most items it holds; 0 or less means <see cref="SemLock.SemValueMax"/>.</param>
    /// <param name="package"><c>multiprocessing</c>, or <c>multiprocess</c> for the dill-based fork.</param>
    /// <param name="registry">Type bindings for pickling items; null for <see cref="ForkingPickler.GetRegistry"/>.</param>
    /// <exception cref="IOException">A pipe or semaphore could not be created.</exception>
    public Queue(int maxSize = 0, string package = "multiprocessing", PyTypeRegistry? registry = null)
    {
        MaxSize = maxSize <= 0 ? SemLock.SemValueMax : maxSize;
        Package = package;
        (Reader, Writer) = Conn.Pipe(duplex: false);
        RLock = new SyncLock();
        WLock = new SyncLock();
        Semaphore = new BoundedSemaphore(MaxSize);
        OwnerPid = Environment.ProcessId;
        (_pickleOptions, _unpickleOptions) = Options(package, registry);
    }

    /// <summary>Wraps the parts of a queue another process created (from its pickled state).</summary>
    private protected Queue(bool ignoreEpipe, int maxSize, Conn reader, Conn writer, SyncLock rlock, SyncLock? wlock,
        BoundedSemaphore sem, int ownerPid, string package)
    {
        IgnoreEpipe = ignoreEpipe;
        MaxSize = maxSize;
        Reader = reader;
        Writer = writer;
        RLock = rlock;
        WLock = wlock;
        Semaphore = sem;
        OwnerPid = ownerPid;
        Package = package;
        (_pickleOptions, _unpickleOptions) = Options(package, null);
    }

    /// <summary>Gets the most items the queue holds (<c>_maxsize</c>).</summary>
    public int MaxSize { get; }

    /// <summary>Gets the package the queue pickles as (<c>multiprocessing</c> or <c>multiprocess</c>).</summary>
    public string Package { get; }

    /// <summary>Gets or sets whether the feeder stops quietly when every reader has gone (EPIPE; CPython's
    /// <c>_ignore_epipe</c>, set for internal queues).</summary>
    public bool IgnoreEpipe { get; set; }

    /// <summary>Gets the pid of the process that created the queue (<c>_opid</c>).</summary>
    public int OwnerPid { get; }

    /// <summary>Gets the read end of the pipe.</summary>
    public Conn Reader { get; }

    /// <summary>Gets the write end of the pipe.</summary>
    public Conn Writer { get; }

    /// <summary>Gets the lock readers take (<c>_rlock</c>).</summary>
    public SyncLock RLock { get; }

    /// <summary>Gets the lock writers take (<c>_wlock</c>; null only for queues from Windows).</summary>
    public SyncLock? WLock { get; }

    /// <summary>Gets the semaphore counting free slots (<c>_sem</c>).</summary>
    public BoundedSemaphore Semaphore { get; }

    /// <summary>Puts an item (CPython <c>put(obj, block, timeout)</c>): counts it (waiting for room if the queue is
    /// full), pickles it at once (so errors surface here) and leaves the writing to the feeder thread.</summary>
    /// <param name="item">The item: anything the pickle codec writes.</param>
    /// <param name="block">Wait for room; false fails at once when full.</param>
    /// <param name="timeout">The longest wait for room; null waits as long as it takes.</param>
    /// <exception cref="QueueFullException">No room in time.</exception>
    /// <exception cref="PicklingException">The item cannot be pickled (the count is given back).</exception>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    /// <exception cref="IOException">An earlier write failed (e.g. every reader closed the pipe).</exception>
    public virtual void Put(object? item, bool block = true, TimeSpan? timeout = null)
    {
        ThrowIfClosed();
        if (!Semaphore.Acquire(block, timeout))
        {
            throw new QueueFullException();
        }

        Enqueue(FrameOrRelease(item));
    }

    /// <summary>Tries to put an item, waiting up to <paramref name="timeout"/> for room.</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Whether it was put.</returns>
    /// <exception cref="PicklingException">The item cannot be pickled.</exception>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public bool TryPut(object? item, TimeSpan timeout)
    {
        try
        {
            Put(item, true, timeout);
            return true;
        }
        catch (QueueFullException)
        {
            return false;
        }
    }

    /// <summary>Gets an item (CPython <c>get(block, timeout)</c>): takes <c>rlock</c>, reads one whole frame, releases,
    /// gives the slot back and unpickles.</summary>
    /// <param name="block">Wait for an item; false fails at once when none is there.</param>
    /// <param name="timeout">The longest wait; null waits as long as it takes.</param>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">Nothing came in time.</exception>
    /// <exception cref="EndOfStreamException">Every writer has closed the pipe.</exception>
    /// <exception cref="UnpicklingException">The frame is not a pickle the codec reads.</exception>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public object? Get(bool block = true, TimeSpan? timeout = null)
    {
        ThrowIfClosed();
        byte[] frame;
        if (block && (timeout is null || timeout == Timeout.InfiniteTimeSpan))
        {
            RLock.Acquire();
            try
            {
                frame = PipeFrames.Read(Reader.Fileno());
            }
            finally
            {
                RLock.Release();
            }

            Semaphore.Release();
        }
        else
        {
            var deadline = block ? Deadline.From(timeout!.Value) : Deadline.From(TimeSpan.Zero);
            if (!RLock.Acquire(block, timeout))
            {
                throw new QueueEmptyException();
            }

            try
            {
                if (!PipeFrames.Poll(Reader.Fileno(), deadline))
                {
                    throw new QueueEmptyException();
                }

                frame = PipeFrames.Read(Reader.Fileno());
                Semaphore.Release();
            }
            finally
            {
                RLock.Release();
            }
        }

        return PickleSerializer.Loads(frame, _unpickleOptions);
    }

    /// <summary>Tries to get an item, waiting up to <paramref name="timeout"/>.</summary>
    /// <param name="item">The item, when one came.</param>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Whether an item came.</returns>
    /// <exception cref="EndOfStreamException">Every writer has closed the pipe.</exception>
    /// <exception cref="InvalidOperationException">The queue is closed.</exception>
    public bool TryGet(out object? item, TimeSpan timeout)
    {
        try
        {
            item = Get(true, timeout);
            return true;
        }
        catch (QueueEmptyException)
        {
            item = null;
            return false;
        }
    }

    /// <summary>The approximate number of items (CPython <c>qsize()</c>: maxsize minus the semaphore's value).</summary>
    /// <returns>The count, already stale when returned.</returns>
    public int QSize() => MaxSize - Semaphore.GetValue();

    /// <summary>Whether nothing is in the pipe now (CPython <c>empty()</c>; items still with a feeder do not count).</summary>
    /// <returns>Whether it is empty.</returns>
    public bool IsEmpty() => !PipeFrames.Poll(Reader.Fileno(), Deadline.From(TimeSpan.Zero));

    /// <summary>Whether the queue holds maxsize items (CPython <c>full()</c>).</summary>
    /// <returns>Whether it is full.</returns>
    public bool IsFull() => Semaphore.IsZero();

    /// <summary>No more puts or gets from this process (CPython <c>close()</c>): the feeder writes what is pending, then
    /// the pipe ends are closed.</summary>
    public void Close()
    {
        _closed = true;
        QueueFeeder? feeder;
        lock (_feederGate)
        {
            feeder = _feeder;
        }

        if (feeder is null)
        {
            ClosePipeEnds();
        }
        else
        {
            feeder.Close();
        }
    }

    /// <summary>Waits for the feeder to have written everything (CPython <c>join_thread()</c>, after
    /// <see cref="Close"/>).</summary>
    /// <param name="timeout">The longest wait; null waits as long as it takes.</param>
    /// <returns>Whether the feeder finished.</returns>
    /// <exception cref="InvalidOperationException">The queue is not closed.</exception>
    public bool JoinThread(TimeSpan? timeout = null)
    {
        if (!_closed)
        {
            throw new InvalidOperationException($"Queue {this} not closed");
        }

        QueueFeeder? feeder;
        lock (_feederGate)
        {
            feeder = _feeder;
        }

        return feeder?.Join(timeout) ?? true;
    }

    /// <summary>Lets this process exit without waiting for the feeder to write pending items (CPython
    /// <c>cancel_join_thread()</c>; they may be lost).</summary>
    public void CancelJoinThread()
    {
        lock (_feederGate)
        {
            _joinCancelled = true;
            _feeder?.CancelJoin();
        }
    }

    /// <summary>Closes, waits for the feeder, and (in the creating process) removes the semaphore names.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Describes the queue for diagnostics.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"<{GetType().Name} maxsize={MaxSize} reader={Reader} writer={Writer}>";

    /// <summary>Closes and releases the semaphores.</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        Close();
        if (!_joinCancelled)
        {
            JoinThread(TimeSpan.FromSeconds(30));
        }

        RLock.Dispose();
        WLock?.Dispose();
        Semaphore.Dispose();
    }

    /// <summary>Pickles an item into a frame; if that fails, gives the counted slot back.</summary>
    private protected byte[] FrameOrRelease(object? item)
    {
        try
        {
            return PipeFrames.Frame(item, _pickleOptions);
        }
        catch
        {
            Semaphore.Release();
            throw;
        }
    }

    /// <summary>Hands a frame to the feeder, starting it on first use.</summary>
    private protected void Enqueue(byte[] frame)
    {
        QueueFeeder feeder;
        lock (_feederGate)
        {
            ThrowIfClosed();
            feeder = _feeder ??= new QueueFeeder(Writer.Fileno(), WLock, Semaphore, IgnoreEpipe, ClosePipeEnds);
            if (_joinCancelled)
            {
                feeder.CancelJoin();
            }
        }

        if (feeder.Error is { } error)
        {
            Semaphore.Release();
            throw new IOException($"an earlier write of this queue failed: {error.Message}", error);
        }

        feeder.Enqueue(frame);
    }

    private protected void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new InvalidOperationException($"Queue {this} is closed");
        }
    }

    private static (PickleOptions, UnpickleOptions) Options(string package, PyTypeRegistry? registry)
    {
        var r = registry ?? ForkingPickler.GetRegistry(package);
        return (new PickleOptions { Registry = r }, new UnpickleOptions { Registry = r });
    }

    private void ClosePipeEnds()
    {
        Reader.Close();
        Writer.Close();
    }
}
