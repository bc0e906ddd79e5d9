using System.CommandLine;
using System.Globalization;
using Multiprocess.Celery.Protocol;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess celery worker|send|map</c>: a C# Celery worker with diagnostic tasks, a one-shot client, and a Map.
/// </summary>
/// <remarks>
/// <c>worker</c> prints <c>READY</c> on stdout once consuming, logs on stderr, and stops on SIGINT/SIGTERM (tasks
/// not yet started go back to their queue). Built-in tasks: <c>multiprocess.echo</c> returns its positional
/// arguments as received (a list), <c>multiprocess.sum</c> adds its numeric arguments, <c>multiprocess.sleep</c>
/// sleeps its first argument (seconds) and returns it, <c>multiprocess.whoami</c> returns <c>["cs", node name, pid,
/// *args]</c> (Python workers of the tests answer <c>["py", …]</c>). <c>send</c> prints the result as JSON, exit 0; 1
/// when the task failed or timed out or the broker cannot be reached, 2 for bad arguments (a bad URL too).
/// </remarks>
internal static partial class CeleryCommand
{
    private const string BrokerHelp = "redis://host:port/db | redis+socket:///path | amqp://user:password@host:port/vhost";

    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create() =>
        new("celery", "run a C# Celery worker (Redis, RabbitMQ), send a task, or map one over a cluster")
        {
            CreateWorker(), CreateSend(), CreateMap(),
        };

    private static Option<string> BrokerOption() => new("--broker")
    {
        Description = "the broker: " + BrokerHelp,
        HelpName = "URL",
        Required = true,
    };

    private static Option<string?> BackendOption() => new("--backend")
    {
        Description = "the result backend: redis://… | rpc:// (AMQP brokers' default) | \"\" for none (default: the broker's)",
        HelpName = "URL",
    };

    private static Option<int?> PositiveInt(string name, string description, string helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = OptionValues.From<int?>(TryPositive, t => $"{name} '{t}' is not a positive integer"),
    };

    private static Option<double?> Seconds(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "S",
        CustomParser = OptionValues.From<double?>(TryPositive, t => $"{name} '{t}' is not a positive number"),
    };

    private static Option<CelerySerializer?> SerializerOption(string name, string description) => new Option<CelerySerializer?>(name)
    {
        Description = description,
        HelpName = "json|pickle",
        CustomParser = OptionValues.From<CelerySerializer?>(TrySerializer, t => $"{name} must be json or pickle, not '{t}'"),
    }.Completing("json", "pickle");

    private static bool TryPositive(string text, out int? value)
    {
        var ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0;
        value = n;
        return ok;
    }

    private static bool TryPositive(string text, out double? value)
    {
        var ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 && double.IsFinite(d);
        value = d;
        return ok;
    }

    private static bool TrySerializer(string text, out CelerySerializer? serializer)
    {
        serializer = text switch
        {
            "json" => CelerySerializer.Json,
            "pickle" => CelerySerializer.Pickle,
            _ => null,
        };
        return serializer is not null;
    }

    /// <summary>
    /// Runs a subcommand's body: a bad URL or argument value found by the library is a usage error (status 2, with
    /// the help), an unreachable broker or backend a failure (status 1).
    /// </summary>
    private static int Guarded(ParseResult r, string subcommand, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return CommandTree.UsageError(r, e.Message);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"multiprocess celery {subcommand}: {e.Message}");
            return 1;
        }
    }
}
