using System.Runtime.InteropServices;
using Multiprocess.Shm;

namespace Multiprocess.Synchronize;

/// <summary>
/// A barrier for a fixed number of parties across processes, running CPython's own algorithm
/// (<c>threading.Barrier</c>, as <c>multiprocessing.synchronize.Barrier</c> uses it) over a shared
/// <see cref="Condition"/> and an 8-byte shared state: two native ints, <c>[0]</c> the state (0 filling, 1 draining,
/// −1 resetting, −2 broken) and <c>[1]</c> the count of waiters.
/// </summary>
/// <remarks>The name clashes with <see cref="System.Threading.Barrier"/> under implicit usings; alias or qualify it.</remarks>
public sealed class Barrier : IDisposable
{
    private const int StateSize = 2 * sizeof(int);

    private readonly Memory<byte> _state;
    private readonly Action? _action;
    private readonly TimeSpan? _timeout;
    private readonly Arena? _arena;
    private readonly bool _ownsCondition;

    /// <summary>Creates a barrier with its own condition and its state in a fresh <see cref="Arena"/> (shared by fd,
    /// like CPython's).</summary>
    /// <param name="parties">The number of parties (≥ 1).</param>
    /// <param name="action">Run by one party when all have arrived, before they are released.</param>
    /// <param name="timeout">The default timeout of <see cref="Wait"/>; null waits forever.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is less than 1.</exception>
    /// <exception cref="IOException">The semaphores or the arena could not be created.</exception>
    public Barrier(int parties, Action? action = null, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parties, 1);
        _arena = new Arena(StateSize);
        _state = _arena.GetMemory(0, StateSize);
        Condition = new Condition();
        _ownsCondition = true;
        Parties = parties;
        _action = action;
        _timeout = timeout;
        State = 0;
        WaiterCount = 0;
    }

    /// <summary>Builds a barrier over an existing condition and state (a pickled CPython Barrier's
    /// <c>(parties, action, timeout, cond, wrapper)</c>, or a state buffer placed in a named segment so that unrelated
    /// processes can share it). The state is not reset.</summary>
    /// <param name="parties">The number of parties (≥ 1).</param>
    /// <param name="condition">The shared condition (over an RLock in CPython).</param>
    /// <param name="state">At least 8 bytes of shared memory, 4-byte aligned, holding the two ints.</param>
    /// <param name="action">Run by one party of this process when it is the last to arrive.</param>
    /// <param name="timeout">The default timeout of <see cref="Wait"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parties"/> is less than 1, or the state is shorter
    /// than 8 bytes.</exception>
    public Barrier(int parties, Condition condition, Memory<byte> state, Action? action = null, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parties, 1);
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentOutOfRangeException.ThrowIfLessThan(state.Length, StateSize, nameof(state));
        Parties = parties;
        Condition = condition;
        _state = state[..StateSize];
        _action = action;
        _timeout = timeout;
    }

    /// <summary>Gets the number of parties needed to trip the barrier.</summary>
    public int Parties { get; }

    /// <summary>Gets the condition (CPython's <c>_cond</c>).</summary>
    public Condition Condition { get; }

    /// <summary>Gets the arena holding the state when this barrier created it (its fd is what a child needs).</summary>
    public Arena? Arena => _arena;

    /// <summary>Gets how many parties wait now (0 while draining or resetting).</summary>
    public int NWaiting => State == 0 ? WaiterCount : 0;

    /// <summary>Gets whether the barrier is broken.</summary>
    public bool Broken => State == -2;

    private int State
    {
        get => Volatile.Read(ref MemoryMarshal.Cast<byte, int>(_state.Span)[0]);
        set => Volatile.Write(ref MemoryMarshal.Cast<byte, int>(_state.Span)[0], value);
    }

    private int WaiterCount
    {
        get => Volatile.Read(ref MemoryMarshal.Cast<byte, int>(_state.Span)[1]);
        set => Volatile.Write(ref MemoryMarshal.Cast<byte, int>(_state.Span)[1], value);
    }

    /// <summary>Waits until every party has called Wait; returns this party's arrival index, 0 … parties−1.</summary>
    /// <param name="timeout">The longest wait; null uses the barrier's default.</param>
    /// <returns>The arrival index.</returns>
    /// <exception cref="BrokenBarrierException">The barrier was broken, reset or aborted, or the wait timed out (which
    /// breaks it for everyone).</exception>
    public int Wait(TimeSpan? timeout = null)
    {
        timeout ??= _timeout;
        using (Condition.EnterScope())
        {
            Enter(); // block while the barrier drains
            var index = WaiterCount;
            WaiterCount = index + 1;
            try
            {
                if (index + 1 == Parties)
                {
                    ReleaseAll(); // we release the barrier
                }
                else
                {
                    WaitReleased(timeout); // we wait until someone releases us
                }

                return index;
            }
            finally
            {
                WaiterCount--;
                Exit(); // wake any threads waiting for the barrier to drain
            }
        }
    }

    /// <summary>Returns the barrier to its initial state; current waiters get <see cref="BrokenBarrierException"/>.</summary>
    public void Reset()
    {
        using (Condition.EnterScope())
        {
            if (WaiterCount > 0)
            {
                if (State is 0 or -2)
                {
                    // reset (or leave broken for) the current waiters; the state clears when the last one exits
                    State = -1;
                }
            }
            else
            {
                State = 0;
            }

            Condition.NotifyAll();
        }
    }

    /// <summary>Breaks the barrier: current and future waiters get <see cref="BrokenBarrierException"/>.</summary>
    public void Abort()
    {
        using (Condition.EnterScope())
        {
            Break();
        }
    }

    /// <summary>Disposes the condition and the arena this barrier created.</summary>
    public void Dispose()
    {
        if (_ownsCondition)
        {
            Condition.Dispose();
        }

        _arena?.Dispose();
    }

    /// <summary>CPython's repr shape: <c>&lt;Barrier waiters=0/2&gt;</c> or <c>&lt;Barrier broken&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Broken ? "<Barrier broken>" : $"<Barrier waiters={NWaiting}/{Parties}>";

    private void Enter()
    {
        while (State is -1 or 1)
        {
            // it is draining or resetting: wait until done
            Condition.Wait();
        }

        if (State < 0)
        {
            throw new BrokenBarrierException();
        }
    }

    private void ReleaseAll()
    {
        try
        {
            _action?.Invoke();
            State = 1; // enter the draining state
            Condition.NotifyAll();
        }
        catch
        {
            Break(); // an exception in the action breaks the barrier, then propagates
            throw;
        }
    }

    private void WaitReleased(TimeSpan? timeout)
    {
        if (!Condition.WaitFor(() => State != 0, timeout))
        {
            Break(); // timed out
            throw new BrokenBarrierException("the barrier wait timed out");
        }

        if (State < 0)
        {
            throw new BrokenBarrierException();
        }
    }

    private void Exit()
    {
        if (WaiterCount == 0 && State is -1 or 1)
        {
            // the last one out of a draining or resetting barrier refills it
            State = 0;
            Condition.NotifyAll();
        }
    }

    private void Break()
    {
        State = -2;
        Condition.NotifyAll();
    }
}
