using System.Globalization;
using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <content><c>recode</c>: read a pickle into the object model and write it again (protocol 4 by default).</content>
internal sealed partial class PickleCommand
{
    private static int Recode(string[] args)
    {
        var protocol = 4;
        string? file = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--protocol")
            {
                if (i + 1 >= args.Length || !int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out protocol) || protocol is < 2 or > 5)
                {
                    return Fail($"--protocol takes 2, 3, 4 or 5\n{Usage}", 2);
                }
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
            {
                return Fail($"unknown option '{a}'\n{Usage}", 2);
            }
            else if (file is null)
            {
                file = a;
            }
            else
            {
                return Fail($"one FILE at most\n{Usage}", 2);
            }
        }

        var value = PickleSerializer.Loads(ReadInput(file), ReadOptions);
        var output = PickleSerializer.Dumps(value, new PickleOptions { Protocol = protocol });
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(output);
        return 0;
    }
}
