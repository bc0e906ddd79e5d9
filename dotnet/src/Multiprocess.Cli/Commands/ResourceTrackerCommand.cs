using System.CommandLine;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess resource-tracker FD</c>: the engine's resource tracker process (CPython's
/// <c>resource_tracker.main(FD)</c>): reads REGISTER/UNREGISTER/PROBE lines from fd FD until every writer has closed it,
/// then unlinks what is left and warns. Started by <see cref="ResourceTracker"/>; usable by CPython children as their
/// <c>tracker_fd</c>.
/// </summary>
internal static class ResourceTrackerCommand
{
    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create()
    {
        var fd = new Argument<int>("FD")
        {
            Description = "the read end of the tracker's pipe",
            CustomParser = OptionValues.From<int>(OptionValues.NonNegative, t => $"FD '{t}' is not a file descriptor number"),
        };
        var command = new CliCommand("resource-tracker", "run a resource tracker reading fd FD (as CPython's resource_tracker.main)") { fd };
        command.SetAction(r => ResourceTrackerServer.Run(r.GetValue(fd)));
        return command;
    }
}
