using System.Globalization;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess resource-tracker FD</c>: the engine's resource tracker process (CPython's
/// <c>resource_tracker.main(FD)</c>): reads REGISTER/UNREGISTER/PROBE lines from fd FD until every writer has closed it,
/// then unlinks what is left and warns. Started by <see cref="ResourceTracker"/>; usable by CPython children as their
/// <c>tracker_fd</c>.
/// </summary>
internal sealed class ResourceTrackerCommand : ICommand
{
    public string Name => "resource-tracker";

    public string Summary => "run a resource tracker reading fd FD (as CPython's resource_tracker.main)";

    public int Run(string[] args)
    {
        if (args.Length != 1 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
        {
            Console.Error.WriteLine("usage: multiprocess resource-tracker FD");
            return 2;
        }

        return ResourceTrackerServer.Run(fd);
    }
}
