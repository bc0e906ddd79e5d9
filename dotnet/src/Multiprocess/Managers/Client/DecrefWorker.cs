using System.Threading.Channels;

namespace Multiprocess.Managers;

/// <summary>
/// Sends the decrefs of proxies that were collected without being disposed. A finalizer must not block on the
/// network, so it only queues the reference; one background task sends the one-shot <c>decref</c>s in order.
/// </summary>
internal static class DecrefWorker
{
    private static readonly Channel<ProxyReference> s_queue = Channel.CreateUnbounded<ProxyReference>(new UnboundedChannelOptions { SingleReader = true });
    private static int s_started;

    public static void Enqueue(ProxyReference reference)
    {
        if (Interlocked.Exchange(ref s_started, 1) == 0)
        {
            _ = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }

        s_queue.Writer.TryWrite(reference);
    }

    private static async Task RunAsync()
    {
        await foreach (var reference in s_queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            reference.DecrefNow();
        }
    }
}
