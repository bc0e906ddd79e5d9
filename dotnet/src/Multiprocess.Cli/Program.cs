using System.Reflection;
using Multiprocess.Processes;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Cli;

/// <summary>
/// Entry point of the <c>multiprocess</c> command: dispatches to the <see cref="ICommand"/> named by the first
/// argument.
/// </summary>
public static class Program
{
    /// <summary>Dispatches to the named subcommand.</summary>
    /// <param name="args">The command line: a subcommand name then its arguments.</param>
    /// <returns>The exit status.</returns>
    public static int Main(string[] args)
    {
        // Made a Python parent's spawn executable (multiprocessing.set_executable): CPython starts its resource
        // tracker and its children with its own command lines, which this program then serves.
        if (SpawnCommandLine.TryParseResourceTracker(args, out var trackerFd))
        {
            return ResourceTrackerServer.Run(trackerFd);
        }

        if (SpawnCommandLine.TryParse(args, out _))
        {
            return SpawnedChild.Run(args, Commands.DemoTargets.All);
        }

        // An explicit list, not reflection over the assembly: the command is also published with Native AOT.
        ICommand[] all =
        [
            new Commands.CeleryCommand(), new Commands.DemoCommand(), new Commands.EchoCommand(),
            new Commands.PickleCommand(), new Commands.ResourceTrackerCommand(), new Commands.ServeCommand(),
            new Commands.ShmCommand(), new VersionCommand(),
        ];
        var commands = all.ToDictionary(c => c.Name, StringComparer.Ordinal);

        if (args.Length == 0 || args[0] is "-h" or "--help" || !commands.TryGetValue(args[0], out var command))
        {
            var known = args.Length == 0 || args[0] is "-h" or "--help";
            var output = known ? Console.Out : Console.Error;
            if (!known)
            {
                output.WriteLine($"multiprocess: unknown command '{args[0]}'");
            }

            output.WriteLine("usage: multiprocess <command> [args...]");
            foreach (var c in commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
            {
                output.WriteLine($"  {c.Name,-10} {c.Summary}");
            }

            return known ? 0 : 2;
        }

        return command.Run(args[1..]);
    }
}

/// <summary><c>multiprocess version</c>: prints the engine version.</summary>
internal sealed class VersionCommand : ICommand
{
    public string Name => "version";

    public string Summary => "print the engine version";

    public int Run(string[] args)
    {
        var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Console.WriteLine(version?.Split('+')[0]);
        return 0;
    }
}
