using System.Globalization;
using Multiprocess.Shm;

namespace Multiprocess.Cli.Commands;

/// <content><c>shm create [NAME] (--size N | --list JSON) [--layout 3.8|3.9]</c>: creates and leaves in place.</content>
internal sealed partial class ShmCommand
{
    private static int Create(string[] rest)
    {
        var args = rest.ToList();
        var sizeText = Option(args, "--size");
        var listText = Option(args, "--list");
        var layout = Layout(Option(args, "--layout")) ?? ShareableListLayout.Offsets;
        if (args.Count > 1)
        {
            throw new UsageException($"unexpected argument '{args[1]}'");
        }

        if ((sizeText is null) == (listText is null))
        {
            throw new UsageException("create needs exactly one of --size N and --list JSON");
        }

        var name = args.Count == 1 ? SegmentName(args[0]) : null;
        try
        {
            // Untracked: the segment must outlive this command (a tracker would unlink it when the command exits).
            if (sizeText is not null)
            {
                if (!long.TryParse(sizeText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var size))
                {
                    throw new UsageException($"--size must be an integer, not '{sizeText}'");
                }

                using var shm = SharedMemory.Create(size, name, track: false);
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
