using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess pickle show [--dis] [FILE]</c> prints a pickle as CPython's repr of its value (or a
/// pickletools-style listing); <c>multiprocess pickle recode [--protocol 2|3|4|5] [FILE]</c> reads one pickle
/// (stdin by default) and writes it back through the object model to stdout. Errors go to stderr with the opcode
/// and offset; the exit status is then 1.
/// </summary>
internal sealed partial class PickleCommand : ICommand
{
    private const string Usage = "usage: multiprocess pickle show [--dis] [FILE] | recode [--protocol 2|3|4|5] [FILE]";

    public string Name => "pickle";

    public string Summary => "show (repr or --dis listing) or recode a pickle through the C# object model";

    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            (args.Length == 0 ? Console.Error : Console.Out).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            return args[0] switch
            {
                "show" => Show(args[1..]),
                "recode" => Recode(args[1..]),
                _ => Fail($"unknown subcommand '{args[0]}'\n{Usage}", 2),
            };
        }
        catch (Exception e) when (e is PickleException or EndOfStreamException or IOException or InsufficientExecutionStackException)
        {
            return Fail($"{e.GetType().Name}: {e.Message}", 1);
        }
    }

    private static int Fail(string message, int status)
    {
        Console.Error.WriteLine("multiprocess pickle: " + message);
        return status;
    }

    /// <summary>Options that keep whatever the pickle holds: persistent ids stay as <see cref="PyPersistentId"/>.</summary>
    private static UnpickleOptions ReadOptions => new() { PersistentLoad = id => new PyPersistentId(id) };

    private static byte[] ReadInput(string? file)
    {
        if (file is null or "-")
        {
            using var stdin = Console.OpenStandardInput();
            using var ms = new MemoryStream();
            stdin.CopyTo(ms);
            return ms.ToArray();
        }

        return File.ReadAllBytes(file);
    }
}
