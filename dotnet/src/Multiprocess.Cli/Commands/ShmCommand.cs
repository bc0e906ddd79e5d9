using System.CommandLine;
using System.Globalization;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess shm ls|show|create|rm</c>: inspects and manages POSIX shared memory segments and <c>/mp-</c>
/// semaphores in /dev/shm, with names as Python shows them (<c>psm_…</c> without a slash; semaphores as
/// <c>SemLock.name</c>, <c>/mp-…</c>).
/// </summary>
internal static partial class ShmCommand
{
    private const string ShmDirectory = "/dev/shm";

    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create() =>
        new("shm", "list, show, create and remove shared memory segments and ShareableLists")
        {
            CreateList(), CreateShow(), CreateCreate(), CreateRemove(),
        };

    /// <summary><c>--layout 3.8|3.9</c>: the ShareableList layout to read or write (3.9 means 3.9 and later).</summary>
    private static Option<Shm.ShareableListLayout?> LayoutOption(string description) => new Option<Shm.ShareableListLayout?>("--layout")
    {
        Description = description,
        HelpName = "3.8|3.9",
        CustomParser = OptionValues.From<Shm.ShareableListLayout?>(TryLayout, t => $"--layout must be 3.8 or 3.9 (the 3.9–3.13 layout), not '{t}'"),
    }.Completing("3.8", "3.9");

    private static bool TryLayout(string text, out Shm.ShareableListLayout? layout)
    {
        layout = text switch
        {
            "3.8" => Shm.ShareableListLayout.Sizes,
            "3.9" or "3.9+" or "3.10" or "3.11" or "3.12" or "3.13" => Shm.ShareableListLayout.Offsets,
            _ => null,
        };
        return layout is not null;
    }

    private static bool TryLong(string text, out long? value)
    {
        var ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n);
        value = n;
        return ok;
    }

    /// <summary>A segment name as given (Python's <c>name</c>, or with its slash) → the name without the slash.</summary>
    private static string SegmentName(string name) => name.TrimStart('/');

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"multiprocess shm: {message}");
        return 1;
    }
}
