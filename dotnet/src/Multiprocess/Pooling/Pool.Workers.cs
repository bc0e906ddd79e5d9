using Multiprocess.Pickle;
using Multiprocess.Processes;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Pooling;

/// <content>The worker handler thread (pool.py <c>_handle_workers</c>): reaps exited Python workers, replaces them
/// while there is work, judges crashes, and ends the pool after <see cref="Close"/>.</content>
public sealed partial class Pool
{
    private static readonly TimeSpan HandlerTick = TimeSpan.FromMilliseconds(100);

    private readonly object _workersGate = new();
    private readonly List<PythonWorker> _pythonWorkers = [];
    private readonly List<PoolWorkerInfo> _exitedWorkers = [];
    private readonly Stack<int> _freeSlots;
    private readonly (Conn Reader, Conn Writer) _wake;
    private readonly object? _initializer;
    private readonly PyGlobal _mapstar;
    private readonly PyGlobal _starmapstar;
    private readonly PyGlobal _wrapper = new(WorkerSlots.WrapperModule, "run");
    private int _wakePending;
    private bool _released;
    private bool _sentinelsSent;

    private void HandleWorkers()
    {
        try
        {
            while (!IsTerminating)
            {
                WaitForEvent();
                if (IsTerminating)
                {
                    break;
                }

                ReapExited();
                JudgeCrashes();
                Watch();
                if (State == PoolState.Run || !_cache.IsEmpty)
                {
                    RepopulatePool();
                }
                else if (State == PoolState.Close && FinishAfterClose())
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is ProcessException or IOException or InvalidOperationException or PicklingException)
        {
            BreakPool(e as ProcessException ?? new ProcessException($"the pool's worker handler failed: {e.Message}", e));
        }
        finally
        {
            // After close, the workers have exited and released the result pipe's lock: CPython's sentinel. After
            // terminate, TerminateCore ends the result thread once this thread is gone.
            if (!IsTerminating)
            {
                StopResultThread();
            }
        }
    }

    /// <summary>After close, once every job is done: one sentinel per worker, then wait for them to exit.</summary>
    private bool FinishAfterClose()
    {
        if (!_sentinelsSent)
        {
            _sentinelsSent = true;
            int python;
            lock (_workersGate)
            {
                python = _pythonWorkers.Count;
                _pythonWorkers.ForEach(w => w.Stopping = true);
            }

            _taskQueue.Add(new TaskSource(null, [], false, null, python + _csharpWorkers.Count(w => w.IsAlive)));
            _taskQueue.CompleteAdding();
        }

        lock (_workersGate)
        {
            return _pythonWorkers.Count == 0 && _csharpWorkers.All(w => !w.IsAlive);
        }
    }

    /// <summary>pool.py _repopulate_pool: start Python workers until there are as many as asked for.</summary>
    private void RepopulatePool()
    {
        lock (_workersGate)
        {
            while (_pythonWorkers.Count < PythonWorkerCount && _freeSlots.Count > 0 && !IsTerminating)
            {
                _pythonWorkers.Add(StartPythonWorker(_freeSlots.Pop()));
            }
        }
    }

    /// <summary>Process(target=worker, args=(inqueue, outqueue, initializer, initargs, maxtasks, wrap_exception)),
    /// named SpawnPoolWorker-N and daemonic, the initializer being the slot recorder around the user's.</summary>
    private PythonWorker StartPythonWorker(int slot)
    {
        _slots.Reset(slot);
        var globals = new PyDict
        {
            ["path"] = _slots.Path,
            ["slot"] = (long)slot,
            ["initializer"] = _initializer,
            ["initargs"] = new PyTuple(Options.InitArgs.ToArray()),
            ["lockpath"] = _taskLock.Path,
        };
        object?[] args =
        [
            _inqueue,
            _outqueue,
            new PyGlobal("builtins", "exec"),
            PyTuple.Create(WorkerSlots.InitializerSource, globals),
            Options.MaxTasksPerChild is { } max ? (long)max : null,
            true,
        ];
        var process = new PythonProcess(Package + ".pool:worker", args, options: Options.Process) { Daemon = true };
        process.Name = process.Name.Replace("Process", "PoolWorker", StringComparison.Ordinal);
        try
        {
            process.Start();
        }
        catch
        {
            _freeSlots.Push(slot);
            process.Dispose();
            throw;
        }

        return new PythonWorker(process, slot);
    }

    private void WaitForEvent()
    {
        var waitables = new List<object> { _wake.Reader };
        lock (_workersGate)
        {
            waitables.AddRange(_pythonWorkers.Select(w => (object)w.Process.Sentinel).Where(fd => (int)fd >= 0));
        }

        Conn.Wait(waitables, HandlerTick);
        Interlocked.Exchange(ref _wakePending, 0);
        while (_wake.Reader.Poll())
        {
            _wake.Reader.RecvBytes();
        }
    }

    /// <summary>Interrupts the worker handler's wait (at most one wake-up byte pending at a time).</summary>
    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            try
            {
                _wake.Writer.SendBytes([1]);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Shutting down.
            }
        }
    }

    private PoolWorkerInfo Info(PythonWorker w, int? exitCode)
    {
        var pid = w.Process.Pid ?? 0;
        var slot = _slots.Read(w.Slot);
        return new PoolWorkerInfo("Python", w.Process.Name, pid, slot.Pid == pid ? slot.Started : 0, exitCode);
    }
}
