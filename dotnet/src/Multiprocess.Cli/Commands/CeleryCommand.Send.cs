using System.CommandLine;
using Multiprocess.Celery;
using Multiprocess.Celery.Protocol;
using Multiprocess.Celery.Results;

namespace Multiprocess.Cli.Commands;

/// <content><c>celery send NAME ARGS_JSON --broker URL [--backend URL] [--queue Q] [--serializer json|pickle] [--wait S]</c>.</content>
internal static partial class CeleryCommand
{
    private static CliCommand CreateSend()
    {
        var name = new Argument<string>("NAME") { Description = "the task's registered name" }.NotAnOption();
        var args = new Argument<string>("ARGS_JSON") { Description = "its positional arguments, a JSON array (e.g. '[1, 2]')" };
        var broker = BrokerOption();
        var backend = BackendOption();
        var queue = new Option<string?>("--queue") { Description = "the queue (default: celery)", HelpName = "Q" };
        var serializer = SerializerOption("--serializer", "the task's serializer (default json)");
        var wait = Seconds("--wait", "wait up to S seconds and print the result as JSON (default: print the task id)");
        var command = new CliCommand("send", "send one task; prints its id, or its result with --wait") { name, args, broker, backend, queue, serializer, wait };
        command.SetAction(r => Guarded(r, "send", () =>
        {
            var argsText = r.GetValue(args)!;
            object? parsed;
            try
            {
                parsed = CeleryJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(argsText));
            }
            catch (FormatException e)
            {
                return CommandTree.UsageError(r, $"ARGS_JSON '{argsText}' is not JSON ({e.Message})");
            }

            if (parsed is not List<object?> list)
            {
                return CommandTree.UsageError(r, $"ARGS_JSON '{argsText}' is not a JSON array");
            }

            using var client = new CeleryClient(r.GetValue(broker)!, r.GetValue(backend));
            var result = client.SendTask(r.GetValue(name)!, list, options: new SendOptions { Queue = r.GetValue(queue), Serializer = r.GetValue(serializer) });
            if (r.GetValue(wait) is not { } seconds)
            {
                Console.Out.WriteLine(result.Id);
                return 0;
            }

            try
            {
                var value = result.Get(TimeSpan.FromSeconds(seconds));
                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(CeleryJson.Serialize(value)));
                return 0;
            }
            catch (Exception e) when (e is CeleryTaskException or TimeoutException)
            {
                Console.Error.WriteLine($"multiprocess celery send: {e.Message}");
                return 1;
            }
        }));
        return command;
    }

    private static CliCommand CreateMap()
    {
        var name = new Argument<string>("NAME") { Description = "the task's registered name; it is called with 0 … COUNT-1" }.NotAnOption();
        var count = new Argument<int>("COUNT")
        {
            Description = "how many tasks",
            CustomParser = OptionValues.From<int>((string t, out int n) => TryPositive(t, out int? v) & (n = v ?? 0) > 0, t => $"COUNT '{t}' is not a positive integer"),
        };
        var broker = BrokerOption();
        var backend = BackendOption();
        var queue = new Option<string?>("--queue") { Description = "the queue (default: celery)", HelpName = "Q" };
        var chunksize = PositiveInt("--chunksize", "items per message (celery.starmap chunks; default 1)");
        var progress = PositiveInt("--progress", "print PROGRESS k every N results");
        var timeout = Seconds("--timeout", "give up after S seconds (default 600)");
        var command = new CliCommand("map", "CeleryPool.Imap of NAME over 0..COUNT-1; one JSON summary line, exit 0 when every result is in place")
        {
            name, count, broker, backend, queue, chunksize, progress, timeout,
        };
        command.SetAction(r => Guarded(r, "map", () => CeleryMapCommand.Run(
            r.GetValue(name)!,
            r.GetValue(count),
            r.GetValue(broker)!,
            r.GetValue(backend),
            r.GetValue(queue),
            r.GetValue(chunksize) ?? 1,
            r.GetValue(progress) ?? 0,
            TimeSpan.FromSeconds(r.GetValue(timeout) ?? 600))));
        return command;
    }
}
