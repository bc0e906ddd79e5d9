using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary>
/// <c>threading.Barrier(parties, action=None, timeout=None)</c> (type id <c>Barrier</c>, BarrierProxy), CPython's
/// state machine (filling, draining, resetting, broken): <c>wait(timeout=None)</c>, <c>abort()</c>, <c>reset()</c>,
/// and <c>__getattribute__</c> for <c>parties</c>, <c>n_waiting</c>, <c>broken</c>. An <c>action</c> is Python code: it is
/// kept in the server's Python interpreter and called there by the last party to arrive.
/// </summary>
internal sealed class SharedBarrier : Referent, IDisposable
{
    private const int Filling = 0;
    private const int Draining = 1;
    private const int Resetting = -1;
    private const int Broken = -2;

    private static readonly PySignature s_init = new("Barrier", ["parties", "action", "timeout"], [PySignature.Required, null, null]);
    private static readonly PySignature s_wait = new("wait", ["timeout"], [null]);
    private static readonly PySignature s_getattribute = new("__getattribute__", ["name"], [PySignature.Required], positionalOnly: true);
    private static readonly PySignature s_abort = PySignature.None("abort");
    private static readonly PySignature s_reset = PySignature.None("reset");

    private readonly object _gate = new();
    private readonly WaitList _waiters = new();
    private readonly long _parties;
    private readonly double? _timeout;
    private readonly IKeptCallable? _action;
    private int _state;
    private long _count;

    private SharedBarrier(long parties, double? timeout, IKeptCallable? action)
    {
        _parties = parties;
        _timeout = timeout;
        _action = action;
    }

    /// <summary><c>Barrier(parties, action=None, timeout=None)</c>; an action is kept by <paramref name="keep"/> (in the
    /// server's Python interpreter) and called there; null when the server has none.</summary>
    public static SharedBarrier Create(PyTuple args, PyDict kwargs, Func<object?, SharedCallContext?, IKeptCallable>? keep = null, SharedCallContext? context = null)
    {
        var a = s_init.Bind(args, kwargs);
        var parties = PyValues.AsIndex(a[0]);
        if (parties < 1)
        {
            throw PyErrors.ValueError("parties must be > 0");
        }

        var timeout = PyValues.AsTimeout(a[2]);
        if (a[1] is null)
        {
            return new SharedBarrier(parties, timeout, null);
        }

        if (keep is null)
        {
            throw PyErrors.NotImplementedError(
                $"Barrier(action={PyRepr.Repr(a[1])}): this manager server has no Python host to run the action (`multiprocess serve` was started with --no-python); call the action in the client after wait() returns 0");
        }

        return new SharedBarrier(parties, timeout, keep(a[1], context));
    }

    /// <summary>Releases the action kept in Python.</summary>
    public void Dispose() => _action?.Dispose();

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "wait":
                var timeout = PyValues.AsTimeout(s_wait.Bind(args, kwargs)[0]) ?? _timeout;
                return Wait(context, timeout);
            case "abort":
                s_abort.BindNone(args, kwargs);
                lock (_gate)
                {
                    Break();
                }

                return null;
            case "reset":
                s_reset.BindNone(args, kwargs);
                Reset();
                return null;
            case "__getattribute__":
                return GetAttribute(s_getattribute.Bind(args, kwargs)[0]);
            default:
                throw NoSuchMethod("Barrier", name);
        }
    }

    public override string Repr()
    {
        lock (_gate)
        {
            return _state == Broken
                ? $"<threading.Barrier at {Address}: broken>"
                : $"<threading.Barrier at {Address}: waiters={NWaiting}/{_parties}>";
        }
    }

    private long NWaiting => _state == Filling ? _count : 0;

    private object? GetAttribute(object? name)
    {
        lock (_gate)
        {
            return name switch
            {
                "parties" => _parties,
                "n_waiting" => NWaiting,
                "broken" => _state == Broken,
                string s => throw PyErrors.AttributeError($"'Barrier' object has no attribute '{s}'"),
                _ => throw PyErrors.TypeError($"attribute name must be string, not '{PyRepr.TypeName(name)}'"),
            };
        }
    }

    private long Wait(SharedCallContext context, double? timeout)
    {
        lock (_gate)
        {
            // _enter: block while the barrier drains or resets.
            while (_state is Draining or Resetting)
            {
                _waiters.Wait(_gate, context, Deadline.Never);
            }

            if (_state < 0)
            {
                throw PyErrors.BrokenBarrierError();
            }

            var index = _count;
            _count++;
            try
            {
                if (index + 1 == _parties)
                {
                    // _release: the last to arrive runs the action (under the lock, as CPython); if it raises, the
                    // barrier breaks and this waiter gets the exception.
                    try
                    {
                        _action?.Call(context);
                    }
                    catch
                    {
                        Break();
                        throw;
                    }

                    _state = Draining;
                    _waiters.NotifyAll();
                }
                else
                {
                    // _wait: wait_for(state != filling, timeout); a timeout breaks the barrier.
                    var deadline = Deadline.FromSeconds(timeout);
                    while (_state == Filling)
                    {
                        if (deadline.Expired || !_waiters.Wait(_gate, context, deadline) && _state == Filling)
                        {
                            Break();
                            throw PyErrors.BrokenBarrierError();
                        }
                    }

                    if (_state < 0)
                    {
                        throw PyErrors.BrokenBarrierError();
                    }
                }

                return index;
            }
            finally
            {
                // _exit: the last one out lets the next generation fill.
                _count--;
                if (_count == 0 && _state is Resetting or Draining)
                {
                    _state = Filling;
                    _waiters.NotifyAll();
                }
            }
        }
    }

    private void Reset()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                if (_state is Filling or Broken)
                {
                    _state = Resetting;
                }
            }
            else
            {
                _state = Filling;
            }

            _waiters.NotifyAll();
        }
    }

    private void Break()
    {
        _state = Broken;
        _waiters.NotifyAll();
    }
}
