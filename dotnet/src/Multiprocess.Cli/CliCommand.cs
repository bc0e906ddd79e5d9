using System.CommandLine;

namespace Multiprocess.Cli;

/// <summary>
/// A subcommand of <c>multiprocess</c> (System.CommandLine), with the exit status a bad command line gets: 2 for most,
/// 1 for <c>echo</c>, whose interop callers have always read 1 as "could not run".
/// </summary>
/// <param name="name">The word that selects the command.</param>
/// <param name="description">One line for the help listing.</param>
/// <param name="usageStatus">The exit status of a command line that does not parse.</param>
internal sealed class CliCommand(string name, string description, int usageStatus = 2) : Command(name, description)
{
    /// <summary>Gets the exit status of a command line that does not parse.</summary>
    public int UsageStatus { get; } = usageStatus;
}
