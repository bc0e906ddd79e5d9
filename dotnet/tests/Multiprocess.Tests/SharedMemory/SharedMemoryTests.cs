using System.Buffers;
using System.Text;
using Multiprocess.Internal;
using Multiprocess.ResourceTracking;
using Multiprocess.Shm;

namespace Multiprocess.Tests.Shm;

[TestFixture]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SharedMemoryTests
{
    [Test]
    public void Create_NoName_PythonStyleNameModeAndZeroFill()
    {
        using var shm = SharedMemory.Create(4096, track: false);
        try
        {
            Assert.That(shm.Name, Does.Match("^psm_[0-9a-f]{8}$"));
            var file = new FileInfo("/dev/shm/" + shm.Name);
            Assert.That(file.Exists, Is.True);
            Assert.That(file.Length, Is.EqualTo(4096));
            Assert.That(File.GetUnixFileMode(file.FullName), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(shm.Span.ContainsAnyExcept((byte)0), Is.False);
            Assert.That(shm.ToString(), Is.EqualTo($"SharedMemory('{shm.Name}', size=4096)"));
        }
        finally
        {
            shm.Unlink();
        }

        Assert.That(File.Exists("/dev/shm/" + shm.Name), Is.False);
    }

    [Test]
    public void Create_SizeZero_ThrowsPythonsMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => SharedMemory.Create(0));
        Assert.That(e!.Message, Does.StartWith("'size' must be a positive number different from zero"));
    }

    [Test]
    public void Create_NegativeSize_ThrowsPythonsMessage()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SharedMemory.Create(-1));
        Assert.That(e!.Message, Does.StartWith("'size' must be a positive integer"));
    }

    [Test]
    public void Constructor_NoNameWithoutCreate_ThrowsPythonsMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => _ = new SharedMemory(name: null, create: false));
        Assert.That(e!.Message, Does.StartWith("'name' can only be None if create=True"));
    }

    [Test]
    public void Attach_MissingName_ThrowsFileNotFoundWithPythonsMessage()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SharedMemory.Attach("psm_nonexist", track: false));
        Assert.That(e!.Message, Is.EqualTo("[Errno 2] No such file or directory: '/psm_nonexist'"));
    }

    [Test]
    public void Create_ExistingName_ThrowsIOExceptionEexist()
    {
        using var shm = SharedMemory.Create(8, track: false);
        try
        {
            var e = Assert.Throws<IOException>(() => SharedMemory.Create(8, shm.Name, track: false));
            Assert.That(e!.Message, Is.EqualTo($"[Errno 17] File exists: '/{shm.Name}'"));
            Assert.That(e.Data["errno"], Is.EqualTo(17));
        }
        finally
        {
            shm.Unlink();
        }
    }

    [Test]
    public void Attach_ExistingSegment_SizeIsTheSegmentsAndWritesAreShared()
    {
        using var created = SharedMemory.Create(100, track: false);
        try
        {
            using var attached = new SharedMemory(created.Name, create: false, size: 5, track: false);
            Assert.That(attached.Size, Is.EqualTo(100));
            "hello"u8.CopyTo(created.Span);
            Assert.That(Encoding.ASCII.GetString(attached.Span[..5]), Is.EqualTo("hello"));
            attached.Memory.Span[99] = 7;
            Assert.That(created.Span[99], Is.EqualTo(7));
        }
        finally
        {
            created.Unlink();
        }
    }

    [Test]
    public void Memory_PinnedThenClosed_StaysMappedUntilUnpinned()
    {
        var shm = SharedMemory.Create(64, track: false);
        shm.Unlink();
        var memory = shm.Memory;
        using (var pin = memory.Pin())
        {
            shm.Close();
            unsafe
            {
                ((byte*)pin.Pointer)[3] = 42; // still mapped: the pin holds a reference
                Assert.That(((byte*)pin.Pointer)[3], Is.EqualTo(42));
            }
        }

        Assert.Throws<ObjectDisposedException>(() => _ = shm.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => _ = memory.Span.Length);
    }

    [Test]
    public void GetSpan_WindowOutside_ThrowsNamingTheWindow()
    {
        using var shm = SharedMemory.Create(16, track: false);
        shm.Unlink();
        Assert.That(shm.GetSpan(8, 8).Length, Is.EqualTo(8));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => shm.GetSpan(10, 8));
        Assert.That(e!.Message, Does.Contain("[10, 18)"));
    }

    [Test]
    public void CreateAndUnlink_Tracked_WritesCPythonsLineStream()
    {
        var (r, w) = PosixSpawn.Pipe();
        using var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(r, true), FileAccess.Read, 0);
        using var tracker = ResourceTracker.FromFd(w);
        var shm = new SharedMemory(null, create: true, size: 10, tracker);
        shm.Close();
        shm.Unlink();
        tracker.Stop();

        var lines = new StreamReader(reader).ReadToEnd();
        var name = "/" + shm.Name;
        Assert.That(lines, Is.EqualTo(
            $"PROBE:0:noop\nREGISTER:{name}:shared_memory\nPROBE:0:noop\nUNREGISTER:{name}:shared_memory\n"));
    }

    [Test]
    public void Create_NameWithColonTracked_WritesTheColonOnTheLine()
    {
        // CPython 3.14's tracker (and the engine's) split a line as cmd, rest = split(':', 1); name, rtype =
        // rest.rsplit(':', 1), so a name may carry ':' (ResourceTrackerMessage); 3.8-3.13's trackers cannot read it.
        var (r, w) = PosixSpawn.Pipe();
        using var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(r, true), FileAccess.Read, 0);
        using var tracker = ResourceTracker.FromFd(w);
        var name = $"psm_{Environment.ProcessId}_a:b";
        var shm = new SharedMemory(name, create: true, size: 8, tracker);
        try
        {
            Assert.That(File.Exists("/dev/shm/" + name), Is.True);
        }
        finally
        {
            shm.Close();
            shm.Unlink();
            tracker.Stop();
        }

        Assert.That(File.Exists("/dev/shm/" + name), Is.False);
        Assert.That(new StreamReader(reader).ReadToEnd(), Is.EqualTo(
            $"PROBE:0:noop\nREGISTER:/{name}:shared_memory\nPROBE:0:noop\nUNREGISTER:/{name}:shared_memory\n"));
    }

    [Test]
    public void Arena_FromFd_SharesThePages()
    {
        using var arena = new Arena(4096);
        var dup = Dup(arena.Fd);
        using var again = Arena.FromFd(dup, 4096);
        arena.GetMemory(0, 8).Span[5] = 9;
        Assert.That(again.GetMemory(0, 8).Span[5], Is.EqualTo(9));
        Assert.That(Directory.GetFiles("/dev/shm", $"pym-{Environment.ProcessId}-*"), Is.Empty);
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "dup")]
    private static extern int Dup(int fd);
}
