using System.Runtime.InteropServices;
using Multiprocess.Shm;

namespace Multiprocess.Pooling;

/// <summary>
/// One 40-byte slot per Python worker in a shared-memory segment, where the worker records
/// <c>(pid, tasks started, job, index)</c> before each task, and a fifth word that is 1 while it holds the result
/// queue's write lock (writing a result). When a worker dies, its slot tells which task it was
/// running (that task's caller gets an error instead of waiting for ever); the counts feed
/// <see cref="Pool.Workers"/>. The worker side is <see cref="InitializerSource"/>, run by <c>exec</c> as the pool
/// initializer around the user's one, so the workers still run <c>multiprocessing.pool.worker</c> unchanged.
/// </summary>
internal sealed class WorkerSlots : IDisposable
{
    public const int SlotSize = 40;

    /// <summary>The module the wrapper lives in, in each worker (<c>sys.modules</c>), so a task can name it.</summary>
    public const string WrapperModule = "_multiprocess_dotnet_pool";

    /// <summary>Run in each Python worker by <c>exec(source, {...})</c>: maps the segment by path (no resource
    /// tracker involved), installs <c>_multiprocess_dotnet_pool.run(job, i, func, args, kwds)</c>, which records the
    /// task in the slot and calls <c>func(*args, **kwds)</c>, then runs the user's initializer.</summary>
    public const string InitializerSource = """
        import fcntl, mmap, os, struct, sys, types
        def _lock_task_pipe(lockpath):
            # The task pipe's read lock becomes a flock(2) on lockpath, which the kernel drops if this process dies
            # holding it (waiting for a task, as an idle worker does); the semaphore would stay taken for ever.
            f = sys._getframe(1)
            while f is not None and f.f_code.co_name != 'worker':
                f = f.f_back
            if f is None or 'inqueue' not in f.f_locals:
                raise RuntimeError('pool worker: cannot find the task queue to lock it by flock')
            inqueue = f.f_locals['inqueue']
            fd = os.open(lockpath, os.O_RDWR | getattr(os, 'O_CLOEXEC', 0))
            class FlockLock(object):
                def acquire(self, block=True, timeout=None):
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    return True
                def release(self):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                def __enter__(self):
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    return True
                def __exit__(self, *exc):
                    fcntl.flock(fd, fcntl.LOCK_UN)
            inqueue._rlock = FlockLock()
            inqueue._reader = TaskReader(inqueue._reader)
            return f.f_locals['outqueue']
        class TaskReader(object):
            # The pool writes each task frame behind a marker (Queues/MarkedPipeFrames.cs): a worker killed while reading a
            # frame leaves the rest of it in the pipe, and the next reader skips to the next marker instead of taking
            # those bytes for a header. SimpleQueue.get calls recv_bytes() under the task lock.
            MARKER = b'\xffmpTask\xff'
            def __init__(self, conn):
                self._conn = conn
                self._fd = conn.fileno()
            def _read(self, n):
                data = os.read(self._fd, n)
                if not data:
                    raise EOFError
                return data
            def recv_bytes(self, maxlength=None):
                window = b''
                while len(window) < 8:
                    window += self._read(8 - len(window))
                while window != self.MARKER:
                    window = window[1:] + self._read(1)
                return self._conn.recv_bytes(maxlength)
            def fileno(self):
                return self._fd
            def poll(self, timeout=0.0):
                return self._conn.poll(timeout)
            def close(self):
                self._conn.close()
            @property
            def closed(self):
                return self._conn.closed
        def _watch_result_lock(outqueue, buf, at):
            # The result queue's write lock, as SimpleQueue.put takes it, with word 4 of the slot set while it is held:
            # a worker that dies with it set died writing a result (the pipe may hold part of a frame, and the
            # semaphore stays taken), which the pool then reports at once instead of waiting on the lock.
            wlock = outqueue._wlock
            if wlock is None:
                return
            pack_into = struct.pack_into
            class ResultWriteLock(object):
                def acquire(self, block=True, timeout=None):
                    got = wlock.acquire(block, timeout)
                    if got:
                        pack_into('q', buf, at, 1)
                    return got
                def release(self):
                    pack_into('q', buf, at, 0)
                    wlock.release()
                def __enter__(self):
                    return self.acquire()
                def __exit__(self, *exc):
                    self.release()
            outqueue._wlock = ResultWriteLock()
        def _setup(path, slot, initializer, initargs, lockpath):
            outqueue = _lock_task_pipe(lockpath)
            fd = os.open(path, os.O_RDWR)
            try:
                buf = mmap.mmap(fd, 0)
            finally:
                os.close(fd)
            off = slot * 40
            pack_into = struct.pack_into
            pack_into('q', buf, off + 32, 0)
            _watch_result_lock(outqueue, buf, off + 32)
            pid = os.getpid()
            started = [0]
            pack_into('qqqq', buf, off, pid, 0, -1, -1)
            def run(job, i, func, args, kwds):
                started[0] += 1
                pack_into('qqqq', buf, off, pid, started[0], job, i)
                return func(*args, **kwds)
            module = types.ModuleType('_multiprocess_dotnet_pool')
            run.__module__ = module.__name__
            module.run = run
            sys.modules[module.__name__] = module
            if initializer is not None:
                initializer(*initargs)
        _setup(path, slot, initializer, initargs, lockpath)
        """;

    private readonly SharedMemory _memory;

    public WorkerSlots(int count)
    {
        Count = count;
        _memory = SharedMemory.Create(Math.Max(1, count) * SlotSize, track: true);
        _memory.Span.Clear();
    }

    public int Count { get; }

    /// <summary>Gets the segment's file, which the workers map.</summary>
    public string Path => "/dev/shm/" + _memory.Name;

    public void Reset(int slot) => _memory.Span.Slice(slot * SlotSize, SlotSize).Clear();

    /// <summary>The slot's record; a worker writes it whole with one memcpy, and it is read once the worker is dead or
    /// for statistics, where a stale value is harmless.</summary>
    public (long Pid, long Started, long Job, long Index) Read(int slot)
    {
        var s = MemoryMarshal.Cast<byte, long>(_memory.Span.Slice(slot * SlotSize, SlotSize));
        return (Volatile.Read(ref s[0]), Volatile.Read(ref s[1]), Volatile.Read(ref s[2]), Volatile.Read(ref s[3]));
    }

    /// <summary>Whether the worker in the slot holds (or died holding) the result queue's write lock.</summary>
    public bool HoldsResultLock(int slot) =>
        Volatile.Read(ref MemoryMarshal.Cast<byte, long>(_memory.Span.Slice(slot * SlotSize, SlotSize))[4]) != 0;

    public void Dispose()
    {
        _memory.Close();
        _memory.Unlink();
    }
}
