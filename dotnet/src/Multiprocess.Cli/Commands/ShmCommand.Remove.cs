using System.CommandLine;
using Multiprocess.Shm;
using Multiprocess.Synchronize;

namespace Multiprocess.Cli.Commands;

/// <content><c>shm rm NAME...</c>: unlinks segments (<c>psm_…</c>) and semaphores (<c>/mp-…</c>).</content>
internal static partial class ShmCommand
{
    private static CliCommand CreateRemove()
    {
        var names = new Argument<string[]>("NAME") { Description = "segments (psm_…) and semaphores (/mp-…)", Arity = ArgumentArity.OneOrMore }.NotAnOption();
        var command = new CliCommand("rm", "unlink segments and semaphores") { names };
        command.SetAction(r => Remove(r.GetValue(names)!));
        return command;
    }

    private static int Remove(string[] args)
    {
        var status = 0;
        foreach (var arg in args)
        {
            var name = SegmentName(arg);
            try
            {
                // A segment of that name first; else the semaphore glibc keeps as sem.NAME.
                if (!name.StartsWith("sem.", StringComparison.Ordinal) && File.Exists(Path.Combine(ShmDirectory, name)))
                {
                    SharedMemory.UnlinkByName(name);
                }
                else if (File.Exists(Path.Combine(ShmDirectory, "sem." + name)))
                {
                    SemLock.UnlinkByName("/" + name);
                }
                else
                {
                    status = Fail($"no such segment or semaphore: '{arg}'");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                status = Fail($"cannot remove '{arg}': {e.Message}");
            }
        }

        return status;
    }
}
