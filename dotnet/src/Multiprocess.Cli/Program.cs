using Multiprocess.Processes;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Cli;

/// <summary>
/// Entry point of the <c>multiprocess</c> command: the command lines CPython writes for the children it spawns, parsed
/// by hand since their format is CPython's; everything else through <see cref="CommandTree"/>.
/// </summary>
public static class Program
{
    /// <summary>Runs the command named by the first argument.</summary>
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

        if (SpawnCommandLine.ForkServerRefusal(args) is { } refusal)
        {
            Console.Error.WriteLine("multiprocess: " + refusal);
            return 1;
        }

        return CommandTree.Run(args);
    }
}
