using System.Text;
using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <content><c>show</c>: the repr of the value, or with <c>--dis</c> the pickletools-style listing.</content>
internal static partial class PickleCommand
{
    private static int Show(string? file, bool dis)
    {
        var data = ReadInput(file);
        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
        if (dis)
        {
            try
            {
                PickleDisassembler.Disassemble(data, stdout);
            }
            finally
            {
                stdout.Flush();
            }

            return 0;
        }

        var value = PickleSerializer.Loads(data, ReadOptions);
        stdout.WriteLine(PyRepr.Repr(value));
        return 0;
    }
}
