using Multiprocess.Internal;
using Multiprocess.ResourceTracking;
using Multiprocess.Shm;
using Multiprocess.TestUtilities;
using SyncLock = Multiprocess.Synchronize.Lock;

namespace Multiprocess.Tests.ResourceTracking;

/// <summary>
/// The engine's tracker serving CPython children through <c>tracker_fd</c>, and CPython's tracker serving C#: holders
/// die (SIGKILL included), the tracker unlinks everything and warns in CPython's words, nothing stays in /dev/shm.
/// </summary>
[TestFixture]
public sealed class ResourceTrackerInteropTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void EngineTracker_CSharpAndKilledPythonChild_EverythingUnlinkedWithWarnings(string version)
    {
        using var tracker = TrackerProcess.Start(ResourceTrackerLauncher.Engine(EngineCommands.Cli));

        // A C# holder registers a segment and a semaphore and "dies" (never unregisters).
        var shm = new SharedMemory(null, create: true, size: 4096, tracker.Client);
        shm.Close();
        var sem = new SyncLock(tracker.Client);
        GC.SuppressFinalize(sem);

        // A CPython child handed the tracker's fd, as spawn_main(tracker_fd=N) does, creates both kinds and is killed.
        string pyShm, pySem;
        using (var py = PythonRepl.Start(version, inheritFds: [tracker.Fd]))
        {
            py.Exec($$"""
                import multiprocessing as mp
                from multiprocessing import shared_memory, resource_tracker
                resource_tracker._resource_tracker._fd = {{tracker.Fd}}
                s = shared_memory.SharedMemory(create=True, size=100)
                lk = mp.get_context('spawn').Lock()
                """);
            pyShm = py.Eval("s._name").Trim('\'');
            pySem = py.Eval("lk._semlock.name").Trim('\'');
            py.Kill();
        }

        var names = new[] { "/" + shm.Name, sem.Name, pyShm, pySem };
        Assert.That(names.All(Exists), Is.True, "all four exist before the tracker ends");
        var (code, stderr) = tracker.Finish(s_timeout);
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("There appear to be 2 leaked semaphore objects to clean up at shutdown"));
        Assert.That(stderr, Does.Contain("There appear to be 2 leaked shared_memory objects to clean up at shutdown"));
        Assert.That(names.Where(Exists), Is.Empty, stderr);
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void CPythonTracker_CSharpHolderGone_UnlinksAndWarnsInItsVersionsWords(string version)
    {
        using var tracker = TrackerProcess.Start(ResourceTrackerLauncher.Python(PythonInterpreters.Get(version)));
        var shm = new SharedMemory(null, create: true, size: 64, tracker.Client);
        shm.Close();
        var sem = new SyncLock(tracker.Client);
        GC.SuppressFinalize(sem);
        var kept = new SharedMemory(null, create: true, size: 64, tracker.Client);
        kept.Close();
        kept.Unlink(); // unregistered properly: no warning for it

        var (code, stderr) = tracker.Finish(s_timeout);
        var names = version == "3.13" ? $": {{'/{shm.Name}'}}" : "\n";
        Assert.That(stderr, Does.Contain($"UserWarning: resource_tracker: There appear to be 1 leaked shared_memory objects to clean up at shutdown{names}"));
        Assert.That(stderr, Does.Contain("There appear to be 1 leaked semaphore objects"));
        Assert.That(stderr, Does.Not.Contain(kept.Name));
        Assert.That(code, Is.EqualTo(version == "3.13" ? 1 : 0), stderr);
        Assert.That(Exists("/" + shm.Name) || Exists(sem.Name), Is.False);
    }

    /// <summary>
    /// C# holders → CPython 3.14's tracker: names with ':' in the simple line, a non-ASCII name and one with a line
    /// break as 3.14's JSON lines; the tracker unlinks every one and names them in its warning.
    /// </summary>
    [Test]
    public void CPython314Tracker_ReadsColonAndJsonLinesFromCSharp()
    {
        using var tracker = TrackerProcess.Start(ResourceTrackerLauncher.Python(PythonInterpreters.Get("3.14")));
        var tag = $"{Environment.ProcessId}_{Random.Shared.Next():x}";
        var names = new[] { $"mp:colon:{tag}", $"mp_\u00e9t\u00e9_{tag}", $"mp_nl\n{tag}" };
        foreach (var name in names)
        {
            new SharedMemory(name, create: true, size: 64, tracker.Client).Close();
        }

        var kept = new SharedMemory($"mp:kept:{tag}", create: true, size: 64, tracker.Client);
        kept.Close();
        kept.Unlink(); // UNREGISTER with a ':' name: no warning for it

        Assert.That(names.All(n => Exists("/" + n)), Is.True);
        var (code, stderr) = tracker.Finish(s_timeout);
        Assert.That(stderr, Does.Contain("There appear to be 3 leaked shared_memory objects to clean up at shutdown"));
        foreach (var name in names)
        {
            Assert.That(stderr, Does.Contain(name.Contains('\n') ? $"/mp_nl\\n{tag}" : "/" + name), "3.14 names each leaked segment (repr)");
        }

        Assert.That(stderr, Does.Not.Contain("kept").And.Not.Contain("Traceback"), "every line was understood");
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(names.Where(n => Exists("/" + n)), Is.Empty, stderr);
    }

    /// <summary>
    /// CPython 3.14 holders → the engine's tracker: 3.14 writes ':' names in its simple line and JSON lines for a name
    /// with a line break (and for every name once its simple format is off); the engine unlinks them all.
    /// </summary>
    [Test]
    public void EngineTracker_Killed314Child_ColonAndJsonNamesUnlinked()
    {
        using var tracker = TrackerProcess.Start(ResourceTrackerLauncher.Engine(EngineCommands.Cli));
        var tag = $"{Environment.ProcessId}_{Random.Shared.Next():x}";
        using (var py = PythonRepl.Start("3.14", inheritFds: [tracker.Fd]))
        {
            py.Exec($$"""
                import os, _posixshmem
                from multiprocessing import shared_memory, resource_tracker
                rt = resource_tracker._resource_tracker
                rt._fd = {{tracker.Fd}}
                colon = shared_memory.SharedMemory(name='mp:py:{{tag}}', create=True, size=64)
                def raw(name):
                    os.close(_posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
                    resource_tracker.register(name, 'shared_memory')
                raw('/mp_py_nl\n{{tag}}')
                rt._use_simple_format = False
                raw('/mp_py_json_{{tag}}')
                gone = shared_memory.SharedMemory(name='mp_py_gone_{{tag}}', create=True, size=64)
                gone.close(); gone.unlink()
                """);
            py.Kill();
        }

        var names = new[] { $"/mp:py:{tag}", $"/mp_py_nl\n{tag}", $"/mp_py_json_{tag}" };
        Assert.That(names.All(Exists), Is.True, "all three exist before the tracker ends");
        var (code, stderr) = tracker.Finish(s_timeout);
        Assert.That(stderr, Does.Contain("There appear to be 3 leaked shared_memory objects to clean up at shutdown"));
        Assert.That(stderr, Does.Not.Contain("gone").And.Not.Contain("Error"), "every line was understood");
        Assert.That(code, Is.EqualTo(1), stderr);
        Assert.That(names.Where(Exists), Is.Empty, stderr);
    }

    [Test]
    public void EngineTracker_IgnoresSigtermAndSigint()
    {
        using var tracker = TrackerProcess.Start(ResourceTrackerLauncher.Engine(EngineCommands.Cli));
        tracker.Client.Register("/psm_sig00000", "dummy");
        // Started with both signals blocked (as ResourceTracker starts it); the tracker ignores them, then unblocks
        // them, so the mask is the event. Then they must be gone (not pending) and the tracker still run: a default
        // action would have ended it, and Finish below would not see status 0.
        const ulong both = (1UL << (LibcSpawn.SIGINT - 1)) | (1UL << (LibcSpawn.SIGTERM - 1));
        tracker.WaitForSignalMask("SigBlk", m => (m & both) == 0, "the tracker to unblock SIGINT and SIGTERM (once ignored)", s_timeout);
        tracker.WaitForSignalMask("SigIgn", m => (m & both) == both, "SIGINT and SIGTERM ignored (SIG_IGN)", s_timeout);
        LibcSpawn.Kill(tracker.Pid, LibcSpawn.SIGTERM);
        LibcSpawn.Kill(tracker.Pid, LibcSpawn.SIGINT);
        tracker.WaitForSignalMask("ShdPnd", m => (m & both) == 0, "SIGTERM and SIGINT to be delivered (no longer pending)", s_timeout);
        Assert.That(PosixSpawn.Wait(tracker.Pid, noHang: true), Is.Null, "still running");
        tracker.Client.Unregister("/psm_sig00000", "dummy");
        Assert.That(tracker.Finish(s_timeout), Is.EqualTo((0, "")));
    }

    [Test]
    public void Client_TrackerDied_RelaunchesAndKeepsWorking()
    {
        var client = new ResourceTracker { Launcher = ResourceTrackerLauncher.Engine(EngineCommands.Cli) };
        client.Register("/psm_relaunch", "dummy");
        var first = client.Pid!.Value;
        LibcSpawn.Kill(first, LibcSpawn.SIGKILL);
        PosixSpawn.Wait(first);
        client.Register("/psm_relaunch", "dummy");
        Assert.That(client.Pid, Is.Not.EqualTo(first));
        client.Unregister("/psm_relaunch", "dummy");
        client.Stop();
        Assert.That(client.ExitCode, Is.EqualTo(0));
    }

    private static bool Exists(string name) =>
        File.Exists(name.StartsWith("/mp-", StringComparison.Ordinal) ? "/dev/shm/sem." + name[1..] : "/dev/shm" + name);
}
