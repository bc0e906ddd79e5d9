using Multiprocess.Processes;

namespace Multiprocess.Tests.Processes;

/// <summary>The command lines a Python parent gives a C# program it made its executable: a forkserver's (3.14's default
/// start method) is refused with the reason and the fix, never taken for a spawned child or a subcommand.</summary>
[TestFixture]
public sealed class SpawnCommandLineTests
{
    // forkserver.ensure_running's -c program: 3.14 (Lib/multiprocessing/forkserver.py) and 3.8–3.13 (no sys_argv).
    [TestCase("import sys; from multiprocessing.forkserver import main; main(5, 6, ['__main__'], sys_argv=sys.argv[1:], **{'authkey_r': 7})", "multiprocessing")]
    [TestCase("from multiprocessing.forkserver import main; main(5, 6, [], **{})", "multiprocessing")]
    [TestCase("import sys; from multiprocess.forkserver import main; main(5, 6, [], sys_argv=sys.argv[1:], **{})", "multiprocess")]
    public void ForkServerMain_IsRefusedNamingSpawn(string program, string package)
    {
        string[] args = ["-B", "-c", program, "extra-argv"];
        var refusal = SpawnCommandLine.ForkServerRefusal(args);
        Assert.Multiple(() =>
        {
            Assert.That(refusal, Does.StartWith($"started as {package}'s forkserver").And.Contain($"{package}.get_context('spawn')"));
            Assert.That(SpawnCommandLine.TryParse(args, out _), Is.False);
            var e = Assert.Throws<ArgumentException>(() => SpawnedChild.Run(args, new Dictionary<string, SpawnedTarget>()));
            Assert.That(e!.Message, Does.StartWith(refusal!));
        });
    }

    [Test]
    public void OtherCommandLines_AreNotAForkServer() => Assert.Multiple(() =>
    {
        Assert.That(SpawnCommandLine.ForkServerRefusal(["-c", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=6, pipe_handle=11)", "--multiprocessing-fork"]), Is.Null);
        Assert.That(SpawnCommandLine.ForkServerRefusal(["-c", "from multiprocessing.resource_tracker import main;main(5)"]), Is.Null);
        Assert.That(SpawnCommandLine.ForkServerRefusal(["serve", "-c"]), Is.Null);
        Assert.That(SpawnCommandLine.ForkServerRefusal([]), Is.Null);
    });
}
