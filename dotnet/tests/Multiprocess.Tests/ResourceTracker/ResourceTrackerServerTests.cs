using System.Text;
using Multiprocess.ResourceTracking;
using Multiprocess.Shm;

namespace Multiprocess.Tests.ResourceTracking;

[TestFixture]
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
    [TestCase("REGISTER:/x\n", "ValueError: not enough values to unpack (expected 2, got 1)")]
    [TestCase("REGISTER\n", "ValueError: not enough values to unpack (expected 2, got 1)")]
    [TestCase("REGISTER:/x:y:z\n", "ValueError: Cannot register /x:y for automatic cleanup: unknown resource type z")]
    [TestCase("{\"cmd\":\"REGISTER\"\n", "ValueError: malformed resource_tracker message: b'{\"cmd\":\"REGISTER\"")]
    [TestCase("{\"rtype\":\"noop\"}\n", "KeyError: 'cmd'")]
    [TestCase("{\"cmd\":1,\"rtype\":\"noop\"}\n", "ValueError: malformed resource_tracker fields")]
    [TestCase("{\"cmd\":\"REGISTER\",\"rtype\":\"dummy\",\"base64_name\":\"%%%\"}\n", "ValueError: malformed resource_tracker base64_name: '%%%'")]
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
    public void Format_AsCPython314Sends_ColonInTheSimpleLine_JsonForWhatItCannotCarry()
    {
        Assert.That(ResourceTrackerMessage.Format("REGISTER", "/psm_1", "shared_memory"), Is.EqualTo("REGISTER:/psm_1:shared_memory\n"u8.ToArray()));
        Assert.That(ResourceTrackerMessage.Format("REGISTER", "/a:b", "shared_memory"), Is.EqualTo("REGISTER:/a:b:shared_memory\n"u8.ToArray()));
        // json.dumps({"cmd": …, "rtype": …, "base64_name": urlsafe_b64encode(name)}, ensure_ascii=True, separators=(",", ":"))
        Assert.That(ResourceTrackerMessage.Format("REGISTER", "/psm_\u00e9t\u00e9", "shared_memory"),
            Is.EqualTo("{\"cmd\":\"REGISTER\",\"rtype\":\"shared_memory\",\"base64_name\":\"L3BzbV_DqXTDqQ==\"}\n"u8.ToArray()));
        Assert.That(ResourceTrackerMessage.Format("REGISTER", "/a\nb", "shared_memory"),
            Is.EqualTo("{\"cmd\":\"REGISTER\",\"rtype\":\"shared_memory\",\"base64_name\":\"L2EKYg==\"}\n"u8.ToArray()));
        Assert.Throws<ArgumentException>(() => ResourceTrackerMessage.Format("REGISTER", "/x", "shared:memory"));
        var e = Assert.Throws<ArgumentException>(() => ResourceTrackerMessage.Format("REGISTER", "/" + new string('a', 490), "shared_memory"));
        Assert.That(e!.Message, Does.StartWith("msg too long"));
        e = Assert.Throws<ArgumentException>(() => ResourceTrackerMessage.Format("REGISTER", "/\u00e9" + new string('a', 254), "shared_memory"));
        Assert.That(e!.Message, Does.StartWith("shared memory name too long (max 255 bytes)"));
    }

    [TestCase("/a:b:c")]
    [TestCase("/psm_\u00e9t\u00e9")]
    [TestCase("/line\nbreak")]
    [TestCase("/psm_plain")]
    public void FormatThenParse_RoundTripsEveryName(string name)
    {
        foreach (var line in new[] { ResourceTrackerMessage.Format("UNREGISTER", name, "semaphore"), ResourceTrackerMessage.FormatJson("UNREGISTER", name, "semaphore") })
        {
            Assert.That(ResourceTrackerMessage.TryParse(line, out var command, out var parsed, out var rtype, out var error), Is.True, error);
            Assert.That((command, parsed, rtype), Is.EqualTo(("UNREGISTER", name, "semaphore")));
        }
    }

    [Test]
    public void Run_JsonAndColonLines_RegisterAndUnregisterAlike()
    {
        var json = Encoding.ASCII.GetString(ResourceTrackerMessage.FormatJson("REGISTER", "/j\u00e9", "dummy"));
        var (code, stderr) = Run($"REGISTER:/c:1:dummy\n{json}UNREGISTER:/c:1:dummy\n");
        Assert.That((code, stderr), Is.EqualTo((1, "")), "the JSON-registered dummy is left (dummy leaks exit 1 without a warning)");
        (code, stderr) = Run($"{json}{Encoding.ASCII.GetString(ResourceTrackerMessage.FormatJson("UNREGISTER", "/j\u00e9", "dummy"))}");
        Assert.That((code, stderr), Is.EqualTo((0, "")));
    }

    private static (int Code, string Stderr) Run(string input)
    {
        var stderr = new StringWriter();
        var server = new ResourceTrackerServer(stderr);
        var code = server.Run(new MemoryStream(Encoding.UTF8.GetBytes(input)));
        return (code, stderr.ToString());
    }
}
