using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <content><c>recode</c>: read a pickle into the object model and write it again (protocol 4 by default).</content>
internal static partial class PickleCommand
{
    private static int Recode(string? file, int protocol)
    {
        var value = PickleSerializer.Loads(ReadInput(file), ReadOptions);
        var output = PickleSerializer.Dumps(value, new PickleOptions { Protocol = protocol });
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(output);
        return 0;
    }
}
