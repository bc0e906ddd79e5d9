using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Multiprocess.Celery.Worker;

namespace Multiprocess.Cli.Commands;

/// <content><c>celery worker --broker URL [...]</c>: consumes until SIGINT/SIGTERM, with the diagnostic tasks.</content>
internal static partial class CeleryCommand
{
    /// <summary>Registers the diagnostic tasks on a worker.</summary>
    /// <param name="worker">The worker.</param>
    internal static void RegisterBuiltins(CeleryWorker worker)
    {
        worker.Register("multiprocess.echo", args => args.ToList());
        worker.Register("multiprocess.sum", Sum);
        worker.Register("multiprocess.whoami", args => (List<object?>)["cs", worker.Options.Hostname, (long)Environment.ProcessId, .. args]);
        worker.Register("multiprocess.sleep", args =>
        {
            var seconds = Convert.ToDouble(args.FirstOrDefault() ?? 0.0, CultureInfo.InvariantCulture);
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            return args.FirstOrDefault();
        });
    }

    private static CliCommand CreateWorker()
    {
        var broker = BrokerOption();
        var backend = BackendOption();
        var queues = new Option<string?>("--queues") { Description = "the queues to consume, comma-separated (default: celery)", HelpName = "Q,..." };
        var concurrency = PositiveInt("--concurrency", "tasks run at once (default: the number of cores)");
        var prefetch = PositiveInt("--prefetch-multiplier", "messages held per concurrency slot (Celery's worker_prefetch_multiplier; default 4)");
        var resultSerializer = SerializerOption("--result-serializer", "how results are stored (Celery's result_serializer; default json)");
        var hostname = new Option<string?>("--hostname") { Description = "the node name (default multiprocess<pid>@<host>)", HelpName = "NAME" };
        var visibility = Seconds("--visibility-timeout", "Redis: an unacknowledged message returns to its queue after S seconds (default 3600)");
        var trackStarted = new Option<bool>("--track-started") { Description = "store STARTED when a task starts (task_track_started)" };
        var timeLimit = Seconds("--time-limit", "hard time limit: the task fails with TimeLimitExceeded (docs/celery.md)");
        var hardAction = new Option<HardTimeLimitAction?>("--hard-time-limit-action")
        {
            Description = "a handler still running on its thread at the hard limit: abandon the thread (default) or exit the worker process (code 70) as prefork kills its child; docs/celery.md",
            HelpName = "abandon|exit",
            CustomParser = OptionValues.From<HardTimeLimitAction?>(TryHardAction, t => $"--hard-time-limit-action must be abandon or exit, not '{t}'"),
        }.Completing("abandon", "exit");
        var softTimeLimit = Seconds("--soft-time-limit", "soft time limit: the task's token is cancelled (SoftTimeLimitExceeded)");
        var taskEvents = new Option<bool>("--task-events", "-E") { Description = "send task events (worker_send_task_events)" };
        var withoutHeartbeat = new Option<bool>("--without-heartbeat") { Description = "send no worker-heartbeat events" };
        var command = new CliCommand("worker", "consume Celery tasks from Redis or RabbitMQ; prints READY once consuming")
        {
            broker, backend, queues, concurrency, prefetch, resultSerializer, hostname, visibility, trackStarted, timeLimit, hardAction, softTimeLimit, taskEvents, withoutHeartbeat,
        };
        command.SetAction(r => Guarded(r, "worker", () =>
        {
            var options = new WorkerOptions();
            if (r.GetValue(queues) is { } q)
            {
                options.Queues = q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (options.Queues.Count == 0)
                {
                    return CommandTree.UsageError(r, $"--queues '{q}' names no queue");
                }
            }

            options.Concurrency = r.GetValue(concurrency) ?? options.Concurrency;
            options.PrefetchMultiplier = r.GetValue(prefetch) ?? options.PrefetchMultiplier;
            options.ResultSerializer = r.GetValue(resultSerializer) ?? options.ResultSerializer;
            options.Hostname = r.GetValue(hostname) ?? options.Hostname;
            if (r.GetValue(visibility) is { } vt)
            {
                options.VisibilityTimeout = TimeSpan.FromSeconds(vt);
                options.RestoreInterval = TimeSpan.FromSeconds(Math.Clamp(vt / 2, 0.5, 10));
            }

            options.TimeLimit = r.GetValue(timeLimit) is { } tl ? TimeSpan.FromSeconds(tl) : null;
            options.HardTimeLimitAction = r.GetValue(hardAction) ?? options.HardTimeLimitAction;
            options.SoftTimeLimit = r.GetValue(softTimeLimit) is { } stl ? TimeSpan.FromSeconds(stl) : null;
            options.TrackStarted = r.GetValue(trackStarted);
            options.SendTaskEvents = r.GetValue(taskEvents);
            if (r.GetValue(withoutHeartbeat))
            {
                options.HeartbeatInterval = null;
            }

            return RunWorker(r.GetValue(broker)!, r.GetValue(backend), options);
        }));
        return command;
    }

    private static int RunWorker(string broker, string? backend, WorkerOptions options)
    {
        // One line per event on stderr, as serve: stdout carries only READY.
        using var logging = StderrLogging.Create();
        options.Logger = logging.CreateLogger("multiprocess.celery.worker");

        // --hard-time-limit-action exit ends the process from the worker: the console logger's queue is written first.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => logging.Dispose();
        using var worker = new CeleryWorker(broker, backend, options);
        RegisterBuiltins(worker);
        using var stop = new ManualResetEventSlim();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Set();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        worker.Start();
        Console.Out.WriteLine("READY");
        Console.Out.Flush();
        stop.Wait();
        worker.Stop(TimeSpan.FromSeconds(30));
        return 0;
    }

    private static bool TryHardAction(string text, out HardTimeLimitAction? value)
    {
        value = text switch
        {
            "abandon" => HardTimeLimitAction.AbandonThread,
            "exit" => HardTimeLimitAction.ExitProcess,
            _ => null,
        };
        return value is not null;
    }

    private static object Sum(object?[] args)
    {
        // Python's sum(): integers stay integers, any real makes it real.
        var items = args.Length == 1 && args[0] is System.Collections.IEnumerable e and not string ? e.Cast<object?>().ToArray() : args;
        if (items.All(a => a is long or int or System.Numerics.BigInteger))
        {
            System.Numerics.BigInteger total = 0;
            foreach (var a in items)
            {
                total += a is System.Numerics.BigInteger b ? b : Convert.ToInt64(a, CultureInfo.InvariantCulture);
            }

            return total >= long.MinValue && total <= long.MaxValue ? (long)total : total;
        }

        var sum = 0.0;
        foreach (var a in items)
        {
            sum += a switch
            {
                long or int or double or float => Convert.ToDouble(a, CultureInfo.InvariantCulture),
                System.Numerics.BigInteger b => (double)b,
                _ => throw new ArgumentException($"unsupported operand type for +: '{Multiprocess.Pickle.PyRepr.TypeName(a)}'"),
            };
        }

        return sum;
    }
}
