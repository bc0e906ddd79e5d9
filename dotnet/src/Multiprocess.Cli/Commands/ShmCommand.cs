namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess shm ls|show|create|rm</c>: inspects and manages POSIX shared memory segments and <c>/mp-</c>
/// semaphores in /dev/shm, with names as Python shows them (<c>psm_…</c> without a slash; semaphores as
/// <c>SemLock.name</c>, <c>/mp-…</c>).
/// </summary>
internal sealed partial class ShmCommand : ICommand
{
    private const string Usage = """
        usage: multiprocess shm ls [--json]
               multiprocess shm show NAME [--hex [--bytes N]] [--layout 3.8|3.9]
               multiprocess shm create [NAME] (--size N | --list JSON) [--layout 3.8|3.9]
               multiprocess shm rm NAME...
        """;

    private const string ShmDirectory = "/dev/shm";

    public string Name => "shm";

    public string Summary => "list, show, create and remove shared memory segments and ShareableLists";

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
                "ls" => List(args[1..]),
                "show" => Show(args[1..]),
                "create" => Create(args[1..]),
                "rm" => Remove(args[1..]),
                _ => UsageError($"unknown shm command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            return UsageError(e.Message);
        }
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"multiprocess shm: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"multiprocess shm: {message}");
        return 1;
    }

    /// <summary>A segment name as given (Python's <c>name</c>, or with its slash) → the name without the slash.</summary>
    private static string SegmentName(string name) => name.TrimStart('/');

    private static string? Option(List<string> args, string name)
    {
        var i = args.IndexOf(name);
        if (i < 0)
        {
            return null;
        }

        if (i + 1 >= args.Count)
        {
            throw new UsageException($"{name} needs a value");
        }

        var value = args[i + 1];
        args.RemoveRange(i, 2);
        return value;
    }

    private static bool Flag(List<string> args, string name) => args.Remove(name);

    private static Shm.ShareableListLayout? Layout(string? text) => text switch
    {
        null => null,
        "3.8" => Shm.ShareableListLayout.Sizes,
        "3.9" or "3.9+" or "3.10" or "3.11" or "3.12" or "3.13" => Shm.ShareableListLayout.Offsets,
        _ => throw new UsageException($"--layout must be 3.8 or 3.9 (the 3.9–3.13 layout), not '{text}'"),
    };

    private sealed class UsageException(string message) : Exception(message);
}
