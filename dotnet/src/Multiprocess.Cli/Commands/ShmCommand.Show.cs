using System.CommandLine;
using System.Globalization;
using System.Text;
using Multiprocess.Shm;

namespace Multiprocess.Cli.Commands;

/// <content><c>shm show NAME [--hex [--bytes N]] [--layout 3.8|3.9]</c>.</content>
internal static partial class ShmCommand
{
    private const int DefaultHexBytes = 256;

    private static CliCommand CreateShow()
    {
        var name = new Argument<string>("NAME") { Description = "the segment (psm_… or /psm_…)" }.NotAnOption();
        var hex = new Option<bool>("--hex") { Description = "a hexdump -C of the first bytes instead of the ShareableList" };
        var bytes = new Option<int>("--bytes")
        {
            Description = "with --hex: how many bytes",
            HelpName = "N",
            DefaultValueFactory = _ => DefaultHexBytes,
            CustomParser = OptionValues.From<int>(IsPositive, t => $"--bytes must be a positive integer, not '{t}'"),
        };
        var layout = LayoutOption("read the ShareableList in this layout (default: the one it is found to have)");
        var command = new CliCommand("show", "print a segment's ShareableList as JSON, or a hex dump") { name, hex, bytes, layout };
        command.SetAction(r => Show(SegmentName(r.GetValue(name)!), r.GetValue(hex), r.GetValue(bytes), r.GetValue(layout)));
        return command;
    }

    private static bool IsPositive(string text, out int value) => OptionValues.NonNegative(text, out value) && value > 0;

    private static int Show(string name, bool hex, int count, ShareableListLayout? layout)
    {
        using var view = SegmentView.Open(ShmDirectory, name);
        if (view is null || name.StartsWith("sem.", StringComparison.Ordinal))
        {
            return Fail($"no such segment: '{name}'");
        }

        if (hex)
        {
            Console.Write(HexDump(view.Span[..(int)Math.Min(count, view.Length)]));
            return 0;
        }

        var span = view.Span;
        string? reason;
        if (layout is { } forced)
        {
            try
            {
                var items = ShareableList.Decode(span, forced);
                Console.WriteLine(ShareableListJson.Write(items));
                return 0;
            }
            catch (InvalidDataException e)
            {
                reason = e.Message;
            }
        }
        else if (ShareableList.IsShareableList(span, out var found, out _, out reason))
        {
            try
            {
                Console.WriteLine(ShareableListJson.Write(ShareableList.Decode(span, found)));
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
            {
                reason = e.Message;
            }
        }

        return Fail($"'{name}' is not a ShareableList: {reason}");
    }

    /// <summary><c>hexdump -C</c> style: offset, 16 bytes in two groups of 8, the printable ASCII.</summary>
    private static string HexDump(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder();
        for (var line = 0; line < data.Length; line += 16)
        {
            var chunk = data.Slice(line, Math.Min(16, data.Length - line));
            sb.Append(line.ToString("x8", CultureInfo.InvariantCulture)).Append("  ");
            for (var i = 0; i < 16; i++)
            {
                sb.Append(i < chunk.Length ? chunk[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
                if (i == 7)
                {
                    sb.Append(' ');
                }
            }

            sb.Append(" |");
            foreach (var b in chunk)
            {
                sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
            }

            sb.Append("|\n");
        }

        return sb.Append(data.Length.ToString("x8", CultureInfo.InvariantCulture)).Append('\n').ToString();
    }
}
