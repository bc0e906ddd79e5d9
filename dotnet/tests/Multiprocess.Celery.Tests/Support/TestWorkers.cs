using Multiprocess.Celery.Worker;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>What the worker fixtures share: queue names of their own, and a C# worker on a queue, logging to the
/// test's progress output.</summary>
public static class TestWorkers
{
    /// <summary>A queue (or task) name no other test uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Starts a C# worker on <paramref name="queue"/> with the handlers <paramref name="register"/> adds.</summary>
    public static CeleryWorker Start(
        string broker, string queue, Action<CeleryWorker>? register = null, Action<WorkerOptions>? configure = null, string? backend = null, int concurrency = 2)
    {
        var options = new WorkerOptions { Queues = [queue], Concurrency = concurrency, Logger = ProgressLogger.Instance };
        configure?.Invoke(options);
        var worker = new CeleryWorker(broker, backend, options);
        register?.Invoke(worker);
        worker.Start();
        return worker;
    }
}
