namespace Multiprocess.Cli;

/// <summary>
/// A subcommand that still parses its own arguments (<c>celery</c>, whose options are being extended meanwhile):
/// <see cref="CommandTree"/> lists it in the help and hands it the words after its name unparsed.
/// </summary>
internal interface ICommand
{
    /// <summary>Gets the word that selects this command.</summary>
    string Name { get; }

    /// <summary>Gets one line for the command listing.</summary>
    string Summary { get; }

    /// <summary>Runs the command.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <returns>The process exit status.</returns>
    int Run(string[] args);
}
