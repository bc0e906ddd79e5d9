using System.CommandLine;
using System.Reflection;

namespace Multiprocess.Cli;

/// <summary>
/// The <c>multiprocess</c> command tree on System.CommandLine: help (<c>-h</c>, <c>--help</c> at every level),
/// shell completion (the <c>[suggest]</c> directive that <c>dotnet-suggest</c> calls), and a bad command line reported
/// as <c>multiprocess COMMAND: error</c> naming the offending option or value, then the command's help, on stderr.
/// </summary>
internal static class CommandTree
{
    /// <summary>
    /// No response files: <c>@name</c> is an abstract AF_UNIX address (<c>echo serve @x</c>, <c>serve --address @x</c>),
    /// not a file of arguments to read.
    /// </summary>
    private static readonly ParserConfiguration s_parsing = new() { ResponseFileTokenReplacer = null };

    /// <summary>Parses <paramref name="args"/> and runs the command they name.</summary>
    /// <param name="args">The command line after the program name.</param>
    /// <returns>The exit status.</returns>
    public static int Run(string[] args)
    {
        var root = CreateRoot();
        var result = root.Parse(args, s_parsing);
        if (result.Errors.Count > 0 && result.Action is not { ClearsParseErrors: true })
        {
            return ReportParseErrors(result);
        }

        // No default exception handler: an unexpected exception ends the process as it always has (unhandled, with
        // its stack trace), and SIGINT/SIGTERM stay with the commands that register for them.
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>
    /// Reports a usage error found after parsing (a value only the action can check, such as a key read from a file):
    /// the same form as a parse error.
    /// </summary>
    /// <param name="result">The parse result of the command that found it.</param>
    /// <param name="message">What is wrong, naming the option and the value.</param>
    /// <returns>The command's usage exit status.</returns>
    public static int UsageError(ParseResult result, string message)
    {
        var command = result.CommandResult.Command;
        Console.Error.WriteLine($"{Prefix(result)}: {message}");
        WriteHelp(command, Console.Error);
        return UsageStatus(result);
    }

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand("multiprocess: CPython's multiprocessing wire protocols from .NET")
        {
            Commands.CeleryCommand.Create(),
            Commands.DemoCommand.Create(),
            Commands.EchoCommand.Create(),
            Commands.PickleCommand.Create(),
            Commands.ResourceTrackerCommand.Create(),
            Commands.ServeCommand.Create(),
            Commands.ShmCommand.Create(),
            CreateVersion(),
        };

        // Bare `multiprocess` lists the commands on stdout and succeeds.
        root.SetAction(_ => root.Parse(["--help"], s_parsing).Invoke());
        return root;
    }

    /// <summary><c>multiprocess version</c>: the engine version, without the source revision.</summary>
    private static CliCommand CreateVersion()
    {
        var command = new CliCommand("version", "print the engine version");
        command.SetAction(_ =>
        {
            var version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            Console.WriteLine(version?.Split('+')[0]);
            return 0;
        });
        return command;
    }

    private static int ReportParseErrors(ParseResult result)
    {
        var command = result.CommandResult.Command;
        if (command is RootCommand)
        {
            // Only an unknown first word leaves the root with an error (it has an action of its own).
            var word = result.UnmatchedTokens.Count > 0 ? result.UnmatchedTokens[0] : result.Tokens[0].Value;
            Console.Error.WriteLine($"multiprocess: unknown command '{word}'");
        }
        else
        {
            foreach (var error in result.Errors)
            {
                Console.Error.WriteLine($"{Prefix(result)}: {error.Message}");
            }
        }

        WriteHelp(command, Console.Error);
        return UsageStatus(result);
    }

    /// <summary>Writes <paramref name="command"/>'s help, as <c>--help</c> would, to <paramref name="output"/>.</summary>
    private static void WriteHelp(Command command, TextWriter output)
    {
        var path = new List<string> { "--help" };
        Command root = command;
        for (var c = command; c.Parents.OfType<Command>().FirstOrDefault() is { } parent; c = parent)
        {
            path.Insert(0, c.Name);
            root = parent;
        }

        output.WriteLine();
        root.Parse(path, s_parsing).Invoke(new InvocationConfiguration { Output = output });
    }

    /// <summary><c>multiprocess shm</c> for any error under <c>shm</c>: the prefix its messages always had.</summary>
    private static string Prefix(ParseResult result)
    {
        var top = TopCommand(result);
        return top is null ? "multiprocess" : "multiprocess " + top.Name;
    }

    private static int UsageStatus(ParseResult result) => TopCommand(result) is CliCommand c ? c.UsageStatus : 2;

    private static Command? TopCommand(ParseResult result)
    {
        Command? top = null;
        for (var r = result.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (r.Command is not RootCommand)
            {
                top = r.Command;
            }
        }

        return top;
    }
}
