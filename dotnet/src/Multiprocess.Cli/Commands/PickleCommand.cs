using System.CommandLine;
using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess pickle show [--dis] [FILE]</c> prints a pickle as CPython's repr of its value (or a
/// pickletools-style listing); <c>multiprocess pickle recode [--protocol 2|3|4|5] [FILE]</c> reads one pickle
/// (stdin by default) and writes it back through the object model to stdout. Errors go to stderr with the opcode
/// and offset; the exit status is then 1.
/// </summary>
internal static partial class PickleCommand
{
    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create()
    {
        var file = new Argument<string?>("FILE") { Description = "the pickle (default, or '-': stdin)", Arity = ArgumentArity.ZeroOrOne }.NotAnOption();
        var dis = new Option<bool>("--dis") { Description = "a pickletools.dis-style listing instead of the repr" };
        var show = new Command("show", "print the repr of the pickled value, or with --dis its opcodes") { dis, file };
        show.SetAction(r => Guarded(() => Show(r.GetValue(file), r.GetValue(dis))));

        var protocol = new Option<int>("--protocol")
        {
            Description = "the protocol to write",
            DefaultValueFactory = _ => 4,
            CustomParser = OptionValues.From<int>(IsProtocol, _ => "--protocol takes 2, 3, 4 or 5"),
        }.Completing("2", "3", "4", "5");
        var recode = new Command("recode", "read a pickle into the C# object model and write it again") { protocol, file };
        recode.SetAction(r => Guarded(() => Recode(r.GetValue(file), r.GetValue(protocol))));

        return new CliCommand("pickle", "show (repr or --dis listing) or recode a pickle through the C# object model") { show, recode };
    }

    private static bool IsProtocol(string text, out int protocol) => OptionValues.NonNegative(text, out protocol) && protocol is >= 2 and <= 5;

    private static int Guarded(Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception e) when (e is PickleException or EndOfStreamException or IOException or InsufficientExecutionStackException)
        {
            Console.Error.WriteLine($"multiprocess pickle: {e.GetType().Name}: {e.Message}");
            return 1;
        }
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
