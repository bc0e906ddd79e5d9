using Multiprocess.Managers.Python;
using Multiprocess.Pickle;

namespace Multiprocess.Managers.Referents;

/// <summary><c>threading.Event</c> (type id <c>Event</c>, EventProxy): <c>is_set</c>, <c>set</c>, <c>clear</c>, <c>wait(timeout=None)</c>.</summary>
internal sealed class SharedEvent : Referent
{
    private static readonly PySignature s_wait = new("wait", ["timeout"], [null]);
    private static readonly PySignature s_isSet = PySignature.None("is_set");
    private static readonly PySignature s_set = PySignature.None("set");
    private static readonly PySignature s_clear = PySignature.None("clear");

    private readonly object _gate = new();
    private readonly WaitList _waiters = new();
    private bool _flag;

    public override object? CallMethod(string name, PyTuple args, PyDict kwargs, SharedCallContext context)
    {
        switch (name)
        {
            case "is_set":
                s_isSet.BindNone(args, kwargs);
                lock (_gate)
                {
                    return _flag;
                }

            case "set":
                s_set.BindNone(args, kwargs);
                lock (_gate)
                {
                    _flag = true;
                    _waiters.NotifyAll();
                }

                return null;
            case "clear":
                s_clear.BindNone(args, kwargs);
                lock (_gate)
                {
                    _flag = false;
                }

                return null;
            case "wait":
                var timeout = PyValues.AsTimeout(s_wait.Bind(args, kwargs)[0]);
                return Wait(context, timeout);
            default:
                throw NoSuchMethod("Event", name);
        }
    }

    public override string Repr()
    {
        lock (_gate)
        {
            return $"<threading.Event at {Address}: {(_flag ? "set" : "unset")}>";
        }
    }

    private bool Wait(SharedCallContext context, double? timeout)
    {
        lock (_gate)
        {
            if (_flag)
            {
                return true;
            }

            // Condition.wait: a timeout <= 0 polls once.
            if (timeout is <= 0)
            {
                return false;
            }

            return _waiters.Wait(_gate, context, Deadline.FromSeconds(timeout));
        }
    }
}
