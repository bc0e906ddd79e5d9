using Multiprocess.Managers.Referents;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// Issue 16, the contended Lock: a hand-over (a release that gives the lock to the oldest waiter) allocates only the
/// waiter itself (its <see cref="Waiter"/>, the gate it sleeps on and its list node: ~120 B). Until 2026-12-07 every
/// wait also made its give-back closure (the delegate, and for a Lock the closure object capturing the client: 64–96 B
/// more per hand-over), boxed the <c>True</c> its grant answers the waiter's client with, and a Semaphore's release made
/// a list for the one waiter it granted.
/// </summary>
/// <remarks>
/// Two threads hand one lock back and forth, each releasing only once the other is blocked in its acquire
/// (<see cref="SharedCallContext.IsBlocked"/>), so every acquire waits and is granted: exactly two hand-overs per
/// round. The acquires are a client's (<c>acquire()</c> through <see cref="ILockReferent.CallAcquire"/>, whose grant
/// sends the early <c>True</c> through the connection's reply sender, here one that drops it). The bytes the process allocated over the rounds (<c>GC.GetTotalAllocatedBytes(precise: true)</c>, all
/// threads) are divided by the hand-overs; the least of up to three windows counts, as in
/// <see cref="PerCallAllocationTests"/> (something else in the process only ever adds).
/// </remarks>
[NonParallelizable]
public class HandoffAllocationTests
{
    private const int Rounds = 2_000;

    // Waiter (~48 B), its gate object (24 B), its LinkedListNode (48 B), with room for the runtime's own noise; the
    // give-back delegate alone (64 B) puts the old path above it.
    private const double BoundPerHandOver = 150;

    [TestCase("Lock")]
    [TestCase("RLock")]
    [TestCase("Semaphore")]
    public void HandOver_AllocatesOnlyTheWaiter(string typeId)
    {
        using var harness = new ServerHarness();
        var ident = typeId == "Semaphore" ? harness.Create(typeId, 1L) : harness.Create(typeId);
        Assert.That(harness.Server.Objects.TryGet(ident, out var entry), Is.True);
        var referent = (ILockReferent)entry.Object!;
        var a = harness.NewClient("a");
        var b = harness.NewClient("b");
        a.SetReplySender(static _ => { });
        b.SetReplySender(static _ => { });

        HandOver(referent, a, b, Rounds); // warm-up: the JIT's tiers, the waiters' first sync blocks
        var least = double.MaxValue;
        for (var window = 0; window < 3 && least > BoundPerHandOver; window++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            HandOver(referent, a, b, Rounds);
            var after = GC.GetTotalAllocatedBytes(precise: true);
            var perHandOver = (double)(after - before) / (2 * Rounds);
            TestContext.Out.WriteLine($"{typeId}: {perHandOver:0.0} B per hand-over ({after - before} B over {2 * Rounds})");
            least = Math.Min(least, perHandOver);
        }

        Assert.That(least, Is.LessThanOrEqualTo(BoundPerHandOver), $"bytes allocated per hand-over of a {typeId}");
    }

    /// <summary>
    /// a holds the lock; per round it releases to b (blocked in acquire) and acquires again (blocking until b releases
    /// it back): two hand-overs. b's thread ends holding nothing; a holds the lock again when this returns.
    /// </summary>
    private static void HandOver(ILockReferent referent, SharedCallContext a, SharedCallContext b, int rounds)
    {
        var kwargs = new PyDict();
        Acquire(referent, a, kwargs);
        var other = new Thread(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                Acquire(referent, b, kwargs);                         // handed over by a's release
                WaitUntilBlocked(a);
                referent.Release(b);                                  // hands it back to a
            }
        });
        other.Start();
        for (var i = 0; i < rounds; i++)
        {
            WaitUntilBlocked(b);
            referent.Release(a);
            Acquire(referent, a, kwargs);
        }

        Assert.That(other.Join(TimeSpan.FromSeconds(60)), Is.True, "the other thread finished its rounds");
        referent.Release(a);
    }

    /// <summary>A client's <c>acquire()</c>; a grant's early reply is taken as the serve loop takes it.</summary>
    private static void Acquire(ILockReferent referent, SharedCallContext client, PyDict kwargs)
    {
        var result = referent.CallAcquire(PyTuple.Empty, kwargs, client);
        client.TakeReplySent();
        if (result is not true)
        {
            Assert.Fail($"acquire() returned {result}"); // not Assert.That: its constraint objects would count
        }
    }

    /// <summary>Spins (then yields) until the client's acquire sleeps in the lock; no allocation, no 1 ms sleeps.</summary>
    private static void WaitUntilBlocked(SharedCallContext client)
    {
        var deadline = Environment.TickCount64 + 30_000;
        var spin = default(SpinWait);
        while (!client.IsBlocked)
        {
            if (Environment.TickCount64 > deadline)
            {
                Assert.Fail("the acquire never blocked");
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
