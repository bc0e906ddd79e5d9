namespace Multiprocess.Managers.Referents;

/// <summary>
/// The client connection a call arrives on. CPython serves each connection on its own thread, so what a
/// <c>threading.RLock</c> calls its owner is, here, this object: one per connection (one per client process
/// and thread, since stock proxies keep one connection per thread).
/// </summary>
public sealed class SharedCallContext
{
    private const int EarlyPending = 0;
    private const int EarlyDelivered = 1;
    private const int EarlyFailed = 2;

    private static long s_nextThreadIdent = 139_900_000_000_000;

    private readonly List<SharedRLock> _ownedRLocks = [];
    private readonly Func<bool>? _peerGone;
    private readonly Func<object?, ISharedObject?>? _resolve;
    private volatile Waiter? _waiter;
    private volatile bool _aborted;
    private Action<object?>? _replySender;
    private Func<int, bool>? _inputWaiter;
    private int _replySent;
    private int _earlyOutcome;
    private IGivesBack? _takenFrom;
    private object? _taken;
    private bool _inputReady;

    /// <summary>Initializes a new instance of the <see cref="SharedCallContext"/> class.</summary>
    /// <param name="clientName">The name the client sent with <c>accept_connection</c>.</param>
    /// <param name="serverStopping">Cancelled when the server stops.</param>
    /// <param name="peerGone">Tells whether the client has hung up (polled while a call blocks); null if unknown.</param>
    /// <param name="resolve">Finds this server's object behind a proxy passed in a request.</param>
    internal SharedCallContext(string clientName, CancellationToken serverStopping, Func<bool>? peerGone, Func<object?, ISharedObject?>? resolve)
    {
        _resolve = resolve;
        ClientName = clientName;
        ServerStopping = serverStopping;
        _peerGone = peerGone;
        ThreadIdent = Interlocked.Add(ref s_nextThreadIdent, 4_096);
    }

    /// <summary>Gets the name the client gave its connection: <c>&lt;process name&gt;</c> or <c>&lt;process name&gt;|&lt;thread name&gt;</c>.</summary>
    public string ClientName { get; }

    /// <summary>Gets a token cancelled when the server stops; long-running methods should observe it.</summary>
    public CancellationToken ServerStopping { get; }

    /// <summary>Gets the number shown as <c>owner=</c> in an RLock's repr: this connection stands for CPython's serving thread.</summary>
    internal long ThreadIdent { get; }

    /// <summary>Gets whether the connection is being torn down (client gone or server stopping).</summary>
    internal bool Aborted => _aborted || ServerStopping.IsCancellationRequested;

    /// <summary>Returns this server's shared object behind a proxy value, or null.</summary>
    internal ISharedObject? Resolve(object? value) => value is Pickle.PyReduce && _resolve is not null ? _resolve(value) : null;

    /// <summary>Asks whether the client has hung up; cheap (one poll) but not free: used only after blocking.</summary>
    internal bool IsPeerGone() => _aborted || (_peerGone?.Invoke() ?? false);

    /// <summary>
    /// Gets or sets (tests) whether a Queue get that finds an item asks the client's socket before every take (the
    /// default), or only where a failed reply would not give the item back (<c>MULTIPROCESS_QUEUE_PEER_CHECK=tcp</c>,
    /// read once: TCP asks, AF_UNIX relies on the give-back). Not the default: without the check the 4-client Queue
    /// case cost the server up to ~1 µs more per call in paired rounds, twice (docs/manager-server/queue-lock-one-client.md);
    /// the switch is there to settle that in a quiet window.
    /// </summary>
    internal static bool PeerCheckBeforeEveryTake { get; set; } = Environment.GetEnvironmentVariable("MULTIPROCESS_QUEUE_PEER_CHECK") != "tcp";

    /// <summary>
    /// Gets or sets whether a reply to a client that hung up fails to send (an AF_UNIX socket: EPIPE once the peer
    /// closed; on TCP the first send to a closed peer succeeds into a dead connection). Set once per connection, and
    /// only when <see cref="PeerCheckBeforeEveryTake"/> is off.
    /// </summary>
    internal bool ReplyFailsIfPeerGone { get; set; }

    /// <summary>
    /// Asks, right before a take that a failed reply gives back (<see cref="NoteTaken"/>), whether the client has hung
    /// up. Where its reply would fail (<see cref="ReplyFailsIfPeerGone"/>) the give-back already keeps the item, so
    /// only an abort is looked at and the poll(2) is spared: the one system call the Queue path makes beyond dict's.
    /// </summary>
    internal bool IsPeerGoneBeforeTake() => ReplyFailsIfPeerGone ? _aborted : IsPeerGone();

    /// <summary>Wakes the call blocked on this connection, if any, and fails it and every later wait.</summary>
    internal void Abort()
    {
        _aborted = true;
        _waiter?.Abort();
    }

    /// <summary>Called by an RLock that this connection now owns (under the lock's gate).</summary>
    internal void NoteRLockOwned(SharedRLock rlock)
    {
        lock (_ownedRLocks)
        {
            _ownedRLocks.Add(rlock);
        }
    }

    /// <summary>Called by an RLock that this connection no longer owns (under the lock's gate).</summary>
    internal void NoteRLockReleased(SharedRLock rlock)
    {
        lock (_ownedRLocks)
        {
            _ownedRLocks.Remove(rlock);
        }
    }

    /// <summary>
    /// The connection has ended: releases every RLock it still owns (nobody else could ever release them) and hands
    /// each to its next waiter.
    /// </summary>
    /// <param name="released">Told each lock released and the recursion count it was held at, before its next waiter is answered.</param>
    internal void ReleaseOwnedRLocks(Action<SharedRLock, long> released)
    {
        SharedRLock[] owned;
        lock (_ownedRLocks)
        {
            owned = [.. _ownedRLocks];
        }

        foreach (var rlock in owned)
        {
            // Outside our list's lock: the RLock takes its gate, then calls back into NoteRLockReleased.
            rlock.ReleaseDeadOwner(this, released);
        }
    }

    /// <summary>
    /// Lets another thread send this client's reply while the client's own thread is still blocked in the call
    /// (<see cref="Waiter.Grant"/>): a lock handed over on release answers its waiter at once, so the waiter's
    /// wake-up is off the path between one client's release and the next client's acquire.
    /// </summary>
    internal void SetReplySender(Action<object?> sender) => _replySender = sender;

    /// <summary>
    /// Lets a call whose answer another thread sends (<see cref="SetReplySender"/>) wait for the client's next
    /// request instead of for that thread (<see cref="Waiter"/>): <paramref name="waiter"/> waits up to the given
    /// milliseconds for input or hang-up on the client's connection, true when there is some.
    /// </summary>
    internal void SetInputWaiter(Func<int, bool> waiter) => _inputWaiter = waiter;

    /// <summary>Gets whether a blocked acquire may sleep on the client's connection (both senders of its answer exist).</summary>
    internal bool CanAwaitNextRequest => _replySender is not null && _inputWaiter is not null;

    /// <summary>Waits up to <paramref name="milliseconds"/> for input or hang-up on the client's connection.</summary>
    internal bool WaitForInput(int milliseconds) => _inputWaiter!(milliseconds);

    /// <summary>A blocked acquire answered by its grant saw its client's next request arrive (<see cref="Waiter"/>): the serving loop may read it without waiting.</summary>
    internal void NoteInputReady() => _inputReady = true;

    /// <summary>Whether <see cref="NoteInputReady"/> was called since the last time (and resets it).</summary>
    internal bool TakeInputReady()
    {
        var ready = _inputReady;
        _inputReady = false;
        return ready;
    }

    /// <summary>Claims the reply of the current call for an early send; false if this client cannot be answered so.</summary>
    internal bool ClaimEarlyReply()
    {
        if (_replySender is null)
        {
            return false;
        }

        Volatile.Write(ref _earlyOutcome, EarlyPending);
        Volatile.Write(ref _replySent, 1);
        return true;
    }

    /// <summary>Sends the claimed reply; a failure is the client's (gone or stalled), whose own thread then finds it.</summary>
    internal void SendEarlyReply(object? value)
    {
        try
        {
            _replySender!(value);
            Volatile.Write(ref _earlyOutcome, EarlyDelivered);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or TimeoutException or InvalidOperationException)
        {
            Volatile.Write(ref _earlyOutcome, EarlyFailed);
        }
    }

    /// <summary>
    /// Whether the current call's reply went out early and reached the client's socket (waits for a send under way).
    /// A client told "acquired" holds the lock even if it dies the next instant, as with CPython's server: only a
    /// grant the client never heard of may be given back.
    /// </summary>
    internal bool EarlyReplyDelivered()
    {
        if (Volatile.Read(ref _replySent) != 1)
        {
            return false;
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref _earlyOutcome) == EarlyPending)
        {
            spin.SpinOnce();
        }

        return Volatile.Read(ref _earlyOutcome) == EarlyDelivered;
    }

    /// <summary>Whether the current call's reply was sent early (and resets that for the next call).</summary>
    internal bool TakeReplySent() => Volatile.Read(ref _replySent) == 1 && Interlocked.Exchange(ref _replySent, 0) == 1;

    /// <summary>Records what the current call took for its client, to give back if its reply cannot be sent.</summary>
    internal void NoteTaken(IGivesBack from, object? taken)
    {
        _takenFrom = from;
        _taken = taken;
    }

    /// <summary>The current call's reply was sent (or the call took nothing): forgets what it took.</summary>
    internal void ForgetTaken()
    {
        _takenFrom = null;
        _taken = null;
    }

    /// <summary>The current call's reply could not be sent: gives back what the call took for the client, if anything.</summary>
    internal void GiveBackTaken()
    {
        var from = _takenFrom;
        var taken = _taken;
        ForgetTaken();
        from?.GiveBack(taken);
    }

    /// <summary>Gets whether a call on this connection is blocked (waiting for a lock, an item, an event...): what tests wait for instead of sleeping.</summary>
    internal bool IsBlocked => _waiter is not null;

    /// <summary>Records the waiter a blocking call sleeps on, so <see cref="Abort"/> can wake it.</summary>
    internal void SetWaiter(Waiter? waiter)
    {
        _waiter = waiter;
        if (waiter is not null && Aborted)
        {
            waiter.Abort();
        }
    }
}
