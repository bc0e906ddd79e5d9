namespace Multiprocess.Cli;

/// <summary>
/// One subcommand of <c>multiprocess</c>. Implementations are found by reflection, so adding a capability means
/// adding one file, not editing a central table.
/// </summary>
public interface ICommand
{
    /// <summary>Gets the word that selects this command (<c>echo</c>, <c>pickle</c>, ...).</summary>
    string Name { get; }

    /// <summary>Gets one line for the usage listing.</summary>
    string Summary { get; }

    /// <summary>Runs the command.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <returns>The process exit status.</returns>
    int Run(string[] args);
}
