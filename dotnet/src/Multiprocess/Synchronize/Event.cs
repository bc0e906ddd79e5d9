namespace Multiprocess.Synchronize;

/// <summary>
/// An event shared across processes, built as CPython's <c>multiprocessing.Event</c>: a <see cref="Condition"/> over a
/// <see cref="Lock"/> and a flag <see cref="Semaphore"/> whose value is 1 while set.
/// </summary>
public sealed partial class Event : IDisposable
{
    private readonly bool _owns;

    /// <summary>Creates a cleared event.</summary>
    /// <exception cref="IOException">A semaphore could not be created.</exception>
    public Event()
    {
        Condition = new Condition(new Lock());
        Flag = new Semaphore(0);
        _owns = true;
    }

    private Event(Condition condition, Semaphore flag)
    {
        Condition = condition;
        Flag = flag;
    }

    /// <summary>Gets the condition (CPython's <c>_cond</c>).</summary>
    public Condition Condition { get; }

    /// <summary>Gets the flag semaphore (CPython's <c>_flag</c>).</summary>
    public Semaphore Flag { get; }

    /// <summary>Gets whether the event is set (CPython <c>is_set()</c>).</summary>
    public bool IsSet
    {
        get
        {
            using (Condition.EnterScope())
            {
                if (Flag.Acquire(false))
                {
                    Flag.Release();
                    return true;
                }

                return false;
            }
        }
    }

    /// <summary>Builds an event over the parts of a pickled CPython Event (<c>{'_cond': …, '_flag': …}</c>).</summary>
    /// <param name="condition">The condition (over a Lock).</param>
    /// <param name="flag">The flag semaphore.</param>
    /// <returns>The event; disposing it does not dispose the parts.</returns>
    public static Event Rebuild(Condition condition, Semaphore flag)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(flag);
        return new Event(condition, flag);
    }

    /// <summary>Sets the event and wakes every waiter.</summary>
    public void Set()
    {
        using (Condition.EnterScope())
        {
            Flag.Acquire(false);
            Flag.Release();
            Condition.NotifyAll();
        }
    }

    /// <summary>Clears the event.</summary>
    public void Clear()
    {
        using (Condition.EnterScope())
        {
            Flag.Acquire(false);
        }
    }

    /// <summary>Waits until the event is set or the timeout passes.</summary>
    /// <param name="timeout">The longest wait; null waits forever.</param>
    /// <returns>Whether the event is set.</returns>
    public bool Wait(TimeSpan? timeout = null)
    {
        using (Condition.EnterScope())
        {
            if (Flag.Acquire(false))
            {
                Flag.Release();
            }
            else
            {
                Condition.Wait(timeout);
            }

            if (Flag.Acquire(false))
            {
                Flag.Release();
                return true;
            }

            return false;
        }
    }

    /// <summary>CPython 3.11+'s repr shape: <c>&lt;Event set&gt;</c> or <c>&lt;Event unset&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"<Event {(IsSet ? "set" : "unset")}>";

    /// <summary>Disposes the condition and flag this event created.</summary>
    public void Dispose()
    {
        if (_owns)
        {
            Condition.Dispose();
            Flag.Dispose();
        }
    }
}
