using System.Text;
using Multiprocess.Pickle;

namespace Multiprocess.Cli.Commands;

/// <content><c>show</c>: the repr of the value, or with <c>--dis</c> the pickletools-style listing.</content>
internal sealed partial class PickleCommand
{
    private static int Show(string[] args)
    {
        var dis = false;
        string? file = null;
        foreach (var a in args)
        {
            switch (a)
            {
                case "--dis":
                    dis = true;
                    break;
                case var _ when a.StartsWith("--", StringComparison.Ordinal):
                    return Fail($"unknown option '{a}'\n{Usage}", 2);
                default:
                    if (file is not null)
                    {
                        return Fail($"one FILE at most\n{Usage}", 2);
                    }

                    file = a;
                    break;
            }
        }

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
