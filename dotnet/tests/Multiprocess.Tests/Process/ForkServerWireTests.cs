using Multiprocess.Pickle;
using Multiprocess.Processes;
using Multiprocess.Reduction;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Processes;

/// <summary>The forkserver's messages: the program that starts it (as CPython's <c>%</c>-formatting writes it), the
/// fds of a request in their order, the signed numbers of the status pipe, and <c>popen_forkserver._DupFd</c> as
/// CPython's ForkingPickler pickles it.</summary>
[TestFixture]
public sealed class ForkServerWireTests
{
    [Test]
    public void MainProgram_SameTextAsCPythonFormats()
    {
        const string Script = """
            print('from multiprocessing.forkserver import main; ' + 'main(%d, %d, %r, **%r)' % (5, 7, [], {}))
            print('from multiprocessing.forkserver import main; ' + 'main(%d, %d, %r, **%r)' % (5, 7, ['__main__', "it's"], {'sys_path': ['/a', 'b\\c'], 'authkey_r': 9}))
            print('from multiprocess.forkserver import main; ' + 'main(%d, %d, %r, **%r)' % (11, 12, ['numpy'], {'authkey_r': 13}))
            """;
        var lines = PythonInterpreters.RunScript(PythonInterpreters.Get("3.12"), Script, TimeSpan.FromSeconds(30)).Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(ForkServerWire.MainProgram("multiprocessing", 5, 7, [], null, null), Is.EqualTo(lines[0]));
            Assert.That(ForkServerWire.MainProgram("multiprocessing", 5, 7, ["__main__", "it's"], ["/a", "b\\c"], 9), Is.EqualTo(lines[1]));
            Assert.That(ForkServerWire.MainProgram("multiprocess", 11, 12, ["numpy"], null, 13), Is.EqualTo(lines[2]));
        });
    }

    [Test]
    public void MainProgram_SysPathOnlyWithPreload()
    {
        // ensure_running takes sys_path from the preparation data only when there is a preload list.
        Assert.That(ForkServerWire.MainProgram("multiprocessing", 3, 4, [], ["/x"], null), Is.EqualTo("from multiprocessing.forkserver import main; main(3, 4, [], **{})"));
    }

    [Test]
    public void RequestFds_ConnectToNewProcessOrder_AndLimit()
    {
        Assert.That(ForkServerWire.RequestFds(10, 11, 12, 13, [20, 21]), Is.EqualTo(new[] { 10, 11, 12, 13, 20, 21 }));
        Assert.That(ForkServerWire.RequestFds(10, 11, 12, 13, Enumerable.Range(100, 251).ToArray()), Has.Length.EqualTo(255));
        var e = Assert.Throws<ArgumentException>(() => ForkServerWire.RequestFds(10, 11, 12, 13, Enumerable.Range(100, 252).ToArray()));
        Assert.That(e!.Message, Does.Contain("too many fds").And.Contain("252"));
    }

    [Test]
    public void Signed_EightBytesNative()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ForkServerWire.EncodeSigned(12345), Is.EqualTo(new byte[] { 0x39, 0x30, 0, 0, 0, 0, 0, 0 }));
            Assert.That(ForkServerWire.EncodeSigned(-15), Is.EqualTo(new byte[] { 0xf1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }));
            Assert.That(ForkServerWire.DecodeSigned(ForkServerWire.EncodeSigned(-9)), Is.EqualTo(-9));
            Assert.That(ForkServerWire.DecodeSigned(ForkServerWire.EncodeSigned(long.MaxValue)), Is.EqualTo(long.MaxValue));
        });
    }

    [Test]
    public void ReadSigned_PidThenEof_NullAtEndPartialIsAnError()
    {
        var (r, w) = Internal.PosixSpawn.Pipe();
        try
        {
            Multiprocess.Queues.PipeFrames.Write(w, [.. ForkServerWire.EncodeSigned(4242), 1, 2, 3]);
            Internal.LibcPipe.Close(w);
            w = -1;
            Assert.That(ForkServerWire.ReadSigned(r), Is.EqualTo(4242));
            var e = Assert.Throws<IOException>(() => ForkServerWire.ReadSigned(r));
            Assert.That(e!.Message, Does.Contain("after 3 of the 8 bytes"));
            Assert.That(ForkServerWire.ReadSigned(r), Is.Null);
        }
        finally
        {
            Internal.LibcPipe.Close(r);
            if (w >= 0)
            {
                Internal.LibcPipe.Close(w);
            }
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void DupFd_SameBytesAsCPython(string version)
    {
        const string Script = """
            from multiprocessing import popen_forkserver, reduction
            print(bytes(reduction.ForkingPickler.dumps(popen_forkserver._DupFd(2))).hex())
            """;
        var expected = PythonInterpreters.RunScript(PythonInterpreters.Get(version), Script, TimeSpan.FromSeconds(30)).Trim();
        var options = new PickleOptions { Registry = ForkingPickler.GetRegistry("multiprocessing"), Protocol = PythonInterpreters.DefaultPickleProtocol(version) };
        Assert.That(Convert.ToHexStringLower(PickleSerializer.Dumps(new ForkServerFd(2), options)), Is.EqualTo(expected));
    }

    [Test]
    public void SpawningPopen_ForkServer_IndexesFdsInRequestOrder()
    {
        var popen = new SpawningPopen(forkServer: true);
        Assert.Multiple(() =>
        {
            Assert.That(popen.DupFd(40), Is.EqualTo(new ForkServerFd(0)));
            Assert.That(popen.DupFd(17), Is.EqualTo(new ForkServerFd(1)));
            Assert.That(popen.DupFd(40), Is.EqualTo(new ForkServerFd(0)));
            Assert.That(popen.Fds, Is.EqualTo(new[] { 40, 17 }));
            Assert.That(new SpawningPopen().DupFd(40), Is.EqualTo(new InheritedFd(40)));
        });
    }
}
