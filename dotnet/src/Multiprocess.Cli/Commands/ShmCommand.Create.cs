using System.CommandLine;
using Multiprocess.Shm;

namespace Multiprocess.Cli.Commands;

/// <content><c>shm create [NAME] (--size N | --list JSON) [--layout 3.8|3.9]</c>: creates and leaves in place.</content>
internal static partial class ShmCommand
{
    private static CliCommand CreateCreate()
    {
        var name = new Argument<string?>("NAME") { Description = "the segment's name (default: a new psm_… name)", Arity = ArgumentArity.ZeroOrOne }.NotAnOption();
        var size = new Option<long?>("--size")
        {
            Description = "a plain segment of N bytes",
            HelpName = "N",
            CustomParser = OptionValues.From<long?>(TryLong, t => $"--size must be an integer, not '{t}'"),
        };
        var list = new Option<string?>("--list") { Description = "a ShareableList of these items (a JSON array)", HelpName = "JSON" };
        var layout = LayoutOption("the ShareableList layout (default 3.9: 3.9 and later)");
        var command = new CliCommand("create", "create a segment or a ShareableList and leave it in place (untracked)") { name, size, list, layout };
        command.Validators.Add(r =>
        {
            if ((r.GetResult(size) is null) == (r.GetResult(list) is null))
            {
                r.AddError("create needs exactly one of --size N and --list JSON");
            }
        });
        command.SetAction(r => Create(r.GetValue(name) is { } n ? SegmentName(n) : null, r.GetValue(size), r.GetValue(list), r.GetValue(layout) ?? ShareableListLayout.Offsets));
        return command;
    }

    private static int Create(string? name, long? size, string? listText, ShareableListLayout layout)
    {
        try
        {
            // Untracked: the segment must outlive this command (a tracker would unlink it when the command exits).
            if (size is { } bytes)
            {
                using var shm = SharedMemory.Create(bytes, name, track: false);
                Console.WriteLine(shm.Name);
            }
            else
            {
                using var list = new ShareableList(ShareableListJson.Parse(listText!), name, layout, track: false);
                Console.WriteLine(list.Shm.Name);
            }

            return 0;
        }
        catch (IOException e) when (e.Data["errno"] is 17)
        {
            return Fail($"segment '{name}' already exists");
        }
        catch (ArgumentException e)
        {
            // The first line, without .NET's " (Parameter 'size')" suffix: the user did not call a method.
            var message = e.Message.Split('\n')[0];
            return Fail(e.ParamName is null ? message : message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is FormatException or OverflowException or IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
    }
}
