using System.Runtime.InteropServices;
using Multiprocess.Celery;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Worker;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess celery worker|send|map</c>: a C# Celery worker with diagnostic tasks, a one-shot client, and a Map.
/// </summary>
/// <remarks>
/// <c>worker</c> prints <c>READY</c> on stdout once consuming, logs on stderr, and stops on SIGINT/SIGTERM (tasks
/// not yet started go back to their queue). Built-in tasks: <c>multiprocess.echo</c> returns its positional
/// arguments as received (a list), <c>multiprocess.sum</c> adds its numeric arguments, <c>multiprocess.sleep</c>
/// sleeps its first argument (seconds) and returns it, <c>multiprocess.whoami</c> returns <c>["cs", node name, pid,
/// *args]</c> (Python workers of the tests answer <c>["py", …]</c>). <c>send</c> prints the result as JSON, exit 0; 1 when the
/// task failed or timed out, 2 for bad arguments.
/// </remarks>
internal sealed class CeleryCommand : ICommand
{
    private const string Usage =
        "usage: multiprocess celery worker --broker URL [--backend URL] [--queues Q,...] [--concurrency N]\n"
        + "                                 [--prefetch-multiplier N] [--result-serializer json|pickle] [--hostname NAME]\n"
        + "                                 [--visibility-timeout S] [--track-started] [--time-limit S] [--soft-time-limit S]\n"
        + "                                 [-E|--task-events] [--without-heartbeat]\n"
        + "       multiprocess celery send NAME ARGS_JSON --broker URL [--backend URL] [--queue Q] [--serializer json|pickle] [--wait S]\n"
        + "       multiprocess celery map NAME COUNT --broker URL [--backend URL] [--queue Q] [--chunksize N] [--progress N] [--timeout S]\n"
        + "broker URL: redis://host:port/db | redis+socket:///path | amqp://user:password@host:port/vhost\n"
        + "backend URL: redis://... | rpc:// (AMQP brokers; their default) | \"\" for none";

    public string Name => "celery";

    public string Summary => "run a C# Celery worker (Redis, RabbitMQ) or send a task";

    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "worker" => RunWorker(Options.Parse(args[1..], positional: 0)),
                "send" => Send(Options.Parse(args[1..], positional: 2)),
                "map" => CeleryMapCommand.Run(Options.Parse(args[1..], positional: 2)),
                _ => throw new ArgumentException($"unknown subcommand '{args[0]}'"),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"multiprocess celery: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"multiprocess celery: {e.Message}");
            return 1;
        }
    }

    /// <summary>Registers the diagnostic tasks on a worker.</summary>
    /// <param name="worker">The worker.</param>
    internal static void RegisterBuiltins(CeleryWorker worker)
    {
        worker.Register("multiprocess.echo", args => args.ToList());
        worker.Register("multiprocess.sum", Sum);
        worker.Register("multiprocess.whoami", args => (List<object?>)["cs", worker.Options.Hostname, (long)Environment.ProcessId, .. args]);
        worker.Register("multiprocess.sleep", args =>
        {
            var seconds = Convert.ToDouble(args.FirstOrDefault() ?? 0.0, System.Globalization.CultureInfo.InvariantCulture);
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            return args.FirstOrDefault();
        });
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
                total += a is System.Numerics.BigInteger b ? b : Convert.ToInt64(a, System.Globalization.CultureInfo.InvariantCulture);
            }

            return total >= long.MinValue && total <= long.MaxValue ? (long)total : total;
        }

        var sum = 0.0;
        foreach (var a in items)
        {
            sum += a switch
            {
                long or int or double or float => Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture),
                System.Numerics.BigInteger b => (double)b,
                _ => throw new ArgumentException($"unsupported operand type for +: '{Multiprocess.Pickle.PyRepr.TypeName(a)}'"),
            };
        }

        return sum;
    }

    private static int RunWorker(Options o)
    {
        var options = new WorkerOptions { Log = Console.Error };
        if (o.Get("--queues") is { } queues)
        {
            options.Queues = queues.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        if (o.Get("--concurrency") is { } c)
        {
            options.Concurrency = o.Int("--concurrency", c);
        }

        if (o.Get("--prefetch-multiplier") is { } p)
        {
            options.PrefetchMultiplier = o.Int("--prefetch-multiplier", p);
        }

        if (o.Get("--result-serializer") is { } rs)
        {
            options.ResultSerializer = CelerySerializer.ForName(rs);
        }

        if (o.Get("--hostname") is { } h)
        {
            options.Hostname = h;
        }

        if (o.Get("--visibility-timeout") is { } vt)
        {
            options.VisibilityTimeout = TimeSpan.FromSeconds(o.Double("--visibility-timeout", vt));
            options.RestoreInterval = TimeSpan.FromSeconds(Math.Clamp(options.VisibilityTimeout.TotalSeconds / 2, 0.5, 10));
        }

        if (o.Get("--time-limit") is { } tl)
        {
            options.TimeLimit = TimeSpan.FromSeconds(o.Double("--time-limit", tl));
        }

        if (o.Get("--soft-time-limit") is { } stl)
        {
            options.SoftTimeLimit = TimeSpan.FromSeconds(o.Double("--soft-time-limit", stl));
        }

        options.TrackStarted = o.Flag("--track-started");
        options.SendTaskEvents = o.Flag("--task-events") || o.Flag("-E");
        if (o.Flag("--without-heartbeat"))
        {
            options.HeartbeatInterval = null;
        }

        using var worker = new CeleryWorker(o.Required("--broker"), o.Get("--backend"), options);
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

    private static int Send(Options o)
    {
        var name = o.Positional[0];
        if (CeleryJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(o.Positional[1])) is not List<object?> args)
        {
            throw new ArgumentException($"ARGS_JSON '{o.Positional[1]}' is not a JSON array");
        }

        using var client = new CeleryClient(o.Required("--broker"), o.Get("--backend"));
        var send = new SendOptions { Queue = o.Get("--queue") };
        if (o.Get("--serializer") is { } s)
        {
            send.Serializer = CelerySerializer.ForName(s);
        }

        var result = client.SendTask(name, args, options: send);
        if (o.Get("--wait") is not { } wait)
        {
            Console.Out.WriteLine(result.Id);
            return 0;
        }

        try
        {
            var value = result.Get(TimeSpan.FromSeconds(o.Double("--wait", wait)));
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(CeleryJson.Serialize(value)));
            return 0;
        }
        catch (CeleryTaskException e)
        {
            Console.Error.WriteLine($"multiprocess celery send: {e.Message}");
            return 1;
        }
        catch (TimeoutException e)
        {
            Console.Error.WriteLine($"multiprocess celery send: {e.Message}");
            return 1;
        }
    }

    internal sealed class Options
    {
        private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

        public List<string> Positional { get; } = [];

        public static Options Parse(string[] args, int positional)
        {
            var o = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                var a = args[i];
                if (a is "--track-started" or "--task-events" or "-E" or "--without-heartbeat")
                {
                    o._values[a] = null;
                }
                else if (a.StartsWith("--", StringComparison.Ordinal))
                {
                    if (i + 1 >= args.Length)
                    {
                        throw new ArgumentException($"{a} needs a value");
                    }

                    o._values[a] = args[++i];
                }
                else
                {
                    o.Positional.Add(a);
                }
            }

            if (o.Positional.Count != positional)
            {
                throw new ArgumentException($"expected {positional} positional argument(s), got {o.Positional.Count}: {string.Join(" ", o.Positional)}");
            }

            return o;
        }

        public string? Get(string name) => _values.GetValueOrDefault(name);

        public bool Flag(string name) => _values.ContainsKey(name);

        public string Required(string name) => Get(name) ?? throw new ArgumentException($"{name} is required");

        public int Int(string name, string value) =>
            int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} '{value}' is not a positive integer");

        public double Double(string name, string value) =>
            double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0 ? d : throw new ArgumentException($"{name} '{value}' is not a positive number");
    }
}
