using System.Threading.Channels;

namespace Multiprocess.Managers.Client;

/// <summary>
/// Sends the decrefs of proxies that were collected without being disposed. A finalizer must not block on the
/// network, so it only queues the reference; one background task sends the one-shot <c>decref</c>s in order.
/// </summary>
internal static class DecrefWorker
{
    private static readonly Channel<ProxyReference> s_queue = Channel.CreateUnbounded<ProxyReference>(new UnboundedChannelOptions { SingleReader = true });
    private static int s_started;
    private static int s_pending;

    public static void Enqueue(ProxyReference reference)
    {
        if (Interlocked.Exchange(ref s_started, 1) == 0)
        {
            _ = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }

        Interlocked.Increment(ref s_pending);
        s_queue.Writer.TryWrite(reference);
    }

    /// <summary>Waits until every queued decref was sent (or <paramref name="timeout"/> passed); true when none is left.</summary>
    public static bool Drain(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Volatile.Read(ref s_pending) > 0)
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    private static async Task RunAsync()
    {
        await foreach (var reference in s_queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                reference.DecrefNow();
            }
            finally
            {
                Interlocked.Decrement(ref s_pending);
            }
        }
    }
}
