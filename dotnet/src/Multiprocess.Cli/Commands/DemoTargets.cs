using Multiprocess.Processes;
using Multiprocess.Queues;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// The C# twins of python/demo/mpdemo.py: what the <c>multiprocess</c> command runs when a Python parent has made it
/// its spawn executable (<c>multiprocessing.set_executable</c>) and starts a Process whose target is one of these
/// functions. Each uses the parent's queues as the Python version does.
/// </summary>
internal static class DemoTargets
{
    /// <summary>Gets the targets by <c>module:qualname</c>.</summary>
    public static IReadOnlyDictionary<string, SpawnedTarget> All { get; } = new Dictionary<string, SpawnedTarget>(StringComparer.Ordinal)
    {
        ["mpdemo:produce"] = (a, _) =>
        {
            var (q, tag, count) = (a[0], (long)a[1]!, (long)a[2]!);
            for (long i = 0; i < count; i++)
            {
                Put(q, (tag * 10_000_000) + i);
            }

            return 0;
        },
        ["mpdemo:consume"] = (a, _) =>
        {
            var got = new List<object?>();
            while (Get(a[0]) is { } item)
            {
                got.Add(item);
            }

            Put(a[1], got);
            return 0;
        },
        ["mpdemo:echo"] = (a, _) =>
        {
            object? item;
            do
            {
                item = Get(a[0]);
                Put(a[1], item);
            }
            while (item is not null);
            return 0;
        },
        ["mpdemo:joinable_consume"] = (a, _) =>
        {
            var jq = (JoinableQueue)a[0]!;
            while (true)
            {
                var item = jq.Get();
                if (item is long n)
                {
                    Put(a[1], 2 * n);
                }

                jq.TaskDone();
                if (item is null)
                {
                    return 0;
                }
            }
        },
        ["mpdemo:exit_with"] = (a, _) => checked((int)(long)a[0]!),
        ["mpdemo:add_shared"] = (a, _) => SharedCTypesTwins.AddShared(a[0], a[1], (long)a[2]!),
        ["mpdemo:fill_shared"] = (a, _) => SharedCTypesTwins.FillShared(a),
        ["mpdemo:through_forkserver"] = (a, _) =>
        {
            // The parent's forkserver (address, its alive fd, its 3.14 authkey): two Python children forked by it.
            var package = (string)a[3]!;
            using var server = ForkServer.FromParent(a[0], a[1], a[2], package);
            var options = new PythonProcessOptions { ForkServer = server };
            using var producer = new PythonProcess("mpdemo:produce", [a[4], 7L, 3L], options: options);
            using var exiter = new PythonProcess("mpdemo:exit_with", [5L], options: options);
            producer.Start();
            exiter.Start();
            var joined = producer.Join(TimeSpan.FromSeconds(60)) & exiter.Join(TimeSpan.FromSeconds(60));
            Put(a[4], new List<object?> { "exit codes", (long?)producer.ExitCode, (long?)exiter.ExitCode, (long)producer.Pid!, (long)exiter.Pid! });
            return joined ? 0 : 1;
        },
        ["mpdemo:collatz_steps"] = (a, _) =>
        {
            Console.WriteLine(CollatzSteps((long)a[0]!, (long)a[1]!));
            return 0;
        },
    };

    /// <summary>mpdemo.collatz_steps in C#.</summary>
    public static long CollatzSteps(long start, long stop)
    {
        long total = 0;
        for (var n = start; n < stop; n++)
        {
            for (var m = n; m != 1; total++)
            {
                m = (m & 1) == 1 ? (3 * m) + 1 : m >> 1;
            }
        }

        return total;
    }

    private static object? Get(object? queue) => queue switch
    {
        Queue q => q.Get(),
        SimpleQueue s => s.Get(),
        _ => throw new ArgumentException($"expected a Queue or SimpleQueue, got {queue?.GetType().Name ?? "None"}"),
    };

    private static void Put(object? queue, object? item)
    {
        switch (queue)
        {
            case Queue q:
                q.Put(item);
                break;
            case SimpleQueue s:
                s.Put(item);
                break;
            default:
                throw new ArgumentException($"expected a Queue or SimpleQueue, got {queue?.GetType().Name ?? "None"}");
        }
    }
}
