using System.Text;
using Multiprocess.ResourceTracking;
using Multiprocess.Shm;

namespace Multiprocess.Tests.ResourceTracking;

[TestFixture]
[CancelAfter(20_000)]
public sealed class ResourceTrackerServerTests
{
    [Test]
    public void Run_RegisterThenUnregister_CleanExit()
    {
        var (code, stderr) = Run("PROBE:0:noop\nREGISTER:/psm_x:shared_memory\nREGISTER:/psm_x:shared_memory\nUNREGISTER:/psm_x:shared_memory\n");
        Assert.That((code, stderr), Is.EqualTo((0, "")));
    }

    [Test]
    public void Run_LeakedSegment_WarnsWithCPythonWordingAndUnlinksIt()
    {
        using var shm = SharedMemory.Create(8, track: false);
        var name = "/" + shm.Name;
        var (code, stderr) = Run($"REGISTER:{name}:shared_memory\nREGISTER:/psm_gone0000:shared_memory");
        Assert.That(code, Is.EqualTo(2), "a cleanup failed (3.13 status)");
        Assert.That(stderr, Does.Contain(
            $"UserWarning: resource_tracker: There appear to be 2 leaked shared_memory objects to clean up at shutdown: {{'{name}', '/psm_gone0000'}}"));
        Assert.That(stderr, Does.Contain(
            "UserWarning: resource_tracker: '/psm_gone0000': [Errno 2] No such file or directory: '/psm_gone0000'"));
        Assert.That(File.Exists("/dev/shm" + name), Is.False);
    }

    [Test]
    public void Run_LeakedSemaphore_SemUnlinked()
    {
        var sem = new Multiprocess.Synchronize.Lock(track: false);
        var name = sem.Name;
        GC.SuppressFinalize(sem); // let the tracker be the one that unlinks
        var (code, stderr) = Run($"REGISTER:{name}:semaphore\n");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr, Does.Contain($"There appear to be 1 leaked semaphore objects to clean up at shutdown: {{'{name}'}}"));
        Assert.That(File.Exists("/dev/shm/sem." + name[1..]), Is.False);
        Assert.Throws<FileNotFoundException>(() => Multiprocess.Synchronize.SemLock.UnlinkByName(name));
    }

    [TestCase("REGISTER:/x:bogus\n", "ValueError: Cannot register /x for automatic cleanup: unknown resource type bogus")]
    [TestCase("UNREGISTER:/x:shared_memory\n", "KeyError: '/x'")]
    [TestCase("DANCE:/x:shared_memory\n", "RuntimeError: unrecognized command 'DANCE'")]
    [TestCase("REGISTER:/x\n", "ValueError: not enough values to unpack (expected 3, got 2)")]
    [TestCase("REGISTER:/x:y:z\n", "ValueError: too many values to unpack (expected 3)")]
    [TestCase("REGISTER:/\u00e9:noop\n", "UnicodeDecodeError: 'ascii' codec can't decode byte 0xc3 in position 10")]
    public void Run_MalformedLine_ReportedAndExit3(string input, string expected)
    {
        var (code, stderr) = Run(input + "PROBE:0:noop\n");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(stderr, Does.Contain(expected));
    }

    [Test]
    public void Run_DummyLeak_NotWarnedButCounted()
    {
        var (code, stderr) = Run("REGISTER:d:dummy\n");
        Assert.That((code, stderr), Is.EqualTo((1, "")));
    }

    [Test]
    public void Run_OverlongLine_SkippedAndReported()
    {
        var (code, stderr) = Run(new string('A', ResourceTrackerServer.MaxLineLength + 10) + "\nREGISTER:/ok:dummy\nUNREGISTER:/ok:dummy\n");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(stderr, Does.Contain("line longer than"));
    }

    [Test]
    public void Format_LongOrColonName_Refused()
    {
        Assert.That(ResourceTrackerMessage.Format("REGISTER", "/psm_1", "shared_memory"), Is.EqualTo("REGISTER:/psm_1:shared_memory\n"u8.ToArray()));
        Assert.Throws<ArgumentException>(() => ResourceTrackerMessage.Format("REGISTER", "/a:b", "shared_memory"));
        var e = Assert.Throws<ArgumentException>(() => ResourceTrackerMessage.Format("REGISTER", "/" + new string('a', 490), "shared_memory"));
        Assert.That(e!.Message, Does.StartWith("msg too long"));
    }

    private static (int Code, string Stderr) Run(string input)
    {
        var stderr = new StringWriter();
        var server = new ResourceTrackerServer(stderr);
        var code = server.Run(new MemoryStream(Encoding.UTF8.GetBytes(input)));
        return (code, stderr.ToString());
    }
}
