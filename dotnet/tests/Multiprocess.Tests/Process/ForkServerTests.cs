using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Pooling;
using Multiprocess.Processes;
using Multiprocess.Queues;
using Multiprocess.TestUtilities;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Processes;

/// <summary>CPython children forked by a CPython forkserver that this process starts (CPython's own
/// <c>forkserver.main</c>, with 3.14's authkey handshake), for every version 3.8–3.14: what the child sees, exit codes
/// from the status pipe, a Connection sent with the request, signals by pid, a dying server, and a pool of forked
/// workers.</summary>
[TestFixture]
public sealed class ForkServerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>3.8–3.13 (pyenv) and 3.14 (the peer root, through scripts/python3.14).</summary>
    public static IEnumerable<string> Versions => [.. PythonInterpreters.Versions, "3.14"];

    [TestCaseSource(nameof(Versions))]
    public void Children_ReportExitCodesAndPipeRoundTrip(string version)
    {
        using var server = Server(version);
        using var q = new Queue();
        var (mine, theirs) = Conn.Pipe();
        using var report = Child(server, "report", [q, 1L, "two"]);
        using var echo = Child(server, "echo_connection", [theirs]);
        var outcomes = new (string Target, object?[] Args, int Expected)[]
        {
            ("exit_with", [3L], 3),
            ("exit_none", [], version == "3.8" ? 1 : 0),
            ("raise_value_error", ["boom"], 1),
            ("kill_self", [9L], -9),
        };
        var others = outcomes.Select(o => Child(server, o.Target, o.Args)).ToList();
        try
        {
            report.Start();
            echo.Start();
            theirs.Close();
            others.ForEach(p => p.Start());

            var seen = (PyDict)q.Get(timeout: Wait)!;
            mine.SendBytes("hello"u8);
            var reply = mine.RecvBytes(null, Wait);
            mine.SendBytes("stop"u8);
            Assert.Multiple(() =>
            {
                Assert.That(report.Join(Wait) && echo.Join(Wait), Is.True);
                Assert.That(server.Pid, Is.Not.Null);
                Assert.That(report.ExitCode, Is.EqualTo(0));
                Assert.That(echo.ExitCode, Is.EqualTo(0));
                Assert.That(reply, Is.EqualTo("HELLO"u8.ToArray()));
                Assert.That(PyRepr.Repr(seen["args"]), Is.EqualTo("(1, 'two')"));
                Assert.That(seen["name"], Is.EqualTo(report.Name).And.StartsWith("ForkServerProcess-"));
                Assert.That(seen["pid"], Is.EqualTo((long)report.Pid!).And.Not.EqualTo((long)server.Pid!));
                Assert.That(seen["parent_pid"], Is.EqualTo((long)Environment.ProcessId));
                Assert.That(seen["parent_alive"], Is.True);
                Assert.That(seen["authkey"], Is.EqualTo(CurrentProcess.AuthKey));
                Assert.That(seen["version"], Is.EqualTo(version));
                Assert.That(report.ToString(), Does.StartWith("<ForkServerProcess name="));
                for (var i = 0; i < outcomes.Length; i++)
                {
                    Assert.That(others[i].Join(Wait), Is.True, outcomes[i].Target);
                    Assert.That(others[i].ExitCode, Is.EqualTo(outcomes[i].Expected), outcomes[i].Target);
                }
            });
        }
        finally
        {
            mine.Close();
            others.ForEach(p => p.Dispose());
        }
    }

    [TestCaseSource(nameof(Versions))]
    public void TerminateAndKill_ByPid_ExitCodesFromTheServer(string version)
    {
        using var server = Server(version);
        using var terminated = Child(server, "sleep", [60.0]);
        using var killed = Child(server, "sleep", [60.0]);
        terminated.Start();
        killed.Start();
        Assert.That(terminated.IsAlive && killed.IsAlive, Is.True);
        Assert.That(Conn.Wait([terminated.Sentinel, killed.Sentinel], TimeSpan.Zero), Is.Empty);
        terminated.Terminate();
        killed.Kill();
        Assert.Multiple(() =>
        {
            Assert.That(terminated.Join(Wait) && killed.Join(Wait), Is.True);
            Assert.That(terminated.ExitCode, Is.EqualTo(-15));
            Assert.That(killed.ExitCode, Is.EqualTo(-9));
        });
    }

    [TestCase("3.8")]
    [TestCase("3.13")]
    [TestCase("3.14")]
    public void ServerDies_RunningChildGets255_OwnServerRestarts_AttachedOneIsAClearError(string version)
    {
        using var server = Server(version);
        using var sleeper = Child(server, "sleep", [60.0]);
        sleeper.Start();
        var firstPid = server.Pid!.Value;
        var address = server.Address!;
        LibcSpawn.Kill(firstPid, LibcSpawn.SIGKILL);

        // popen_forkserver.poll: the status pipe ends without an exit code → 255, as CPython reports it.
        Assert.That(sleeper.Join(Wait), Is.True);
        Assert.That(sleeper.ExitCode, Is.EqualTo(255));
        LibcSpawn.Kill(sleeper.Pid!.Value, LibcSpawn.SIGKILL);   // the orphan itself lives on; stop it

        // A socket whose server is gone refuses: the error names the address.
        var (aliveRead, aliveWrite) = PosixSpawn.Pipe();
        LibcPipe.Close(aliveRead);
        using (var attached = ForkServer.Attach(address, aliveWrite))
        {
            using var orphan = Child(attached, "noop", []);
            var e = Assert.Throws<IOException>(orphan.Start);
            Assert.That(e!.Message, Does.Contain(address).And.Contain("does not accept requests"));
        }

        // ensure_running: a dead server of ours is replaced by a new one.
        using var next = Child(server, "exit_with", [5L]);
        next.Start();
        Assert.Multiple(() =>
        {
            Assert.That(next.Join(Wait), Is.True);
            Assert.That(next.ExitCode, Is.EqualTo(5));
            Assert.That(server.Pid, Is.Not.EqualTo(firstPid));
        });
    }

    [TestCaseSource(nameof(Versions))]
    public void Pool_ForkServerWorkers_Map(string version)
    {
        var options = new PoolOptions { Processes = 4, Process = Options(version) with { UseForkServer = true } };
        using var pool = new Pool(options);
        var results = pool.Map(PythonTargets.Target("square"), Enumerable.Range(0, 100).Select(i => (object?)(long)i));
        var pids = pool.Map(PythonTargets.Target("pid_of"), Enumerable.Range(0, 40).Select(i => (object?)(long)i), chunksize: 1);
        Assert.Multiple(() =>
        {
            Assert.That(results, Is.EqualTo(Enumerable.Range(0, 100).Select(i => (object?)((long)i * i))));
            Assert.That(pids.Distinct().Count(), Is.InRange(1, 4));
            Assert.That(pool.Workers.Where(w => w.Language == "python").Select(w => w.Name), Has.All.StartsWith("ForkServerProcess-"));
        });
        pool.Close();
        pool.Join(Wait);
    }

    [Test]
    public void CaptureOutput_WithForkServer_IsRefused()
    {
        using var p = new PythonProcess(PythonTargets.Target("noop"), options: Options("3.12") with { UseForkServer = true, CaptureOutput = true });
        var e = Assert.Throws<InvalidOperationException>(p.Start);
        Assert.That(e!.Message, Does.Contain("forkserver"));
    }

    private static PythonInterpreter Interpreter(string version) => version == "3.14"
        ? PythonInterpreter.FromPath(Path.Combine(EngineCommands.RepoRoot, "scripts", "python3.14"))
        : PythonTargets.Interpreter(version);

    private static PythonProcessOptions Options(string version) => new() { Interpreter = Interpreter(version), SysPath = [PythonTargets.Directory] };

    private static ForkServer Server(string version) =>
        new(new ForkServerOptions { Interpreter = Interpreter(version), SysPath = [PythonTargets.Directory] });

    private static PythonProcess Child(ForkServer server, string function, object?[] args) =>
        new(PythonTargets.Target(function), args, options: new PythonProcessOptions { ForkServer = server }) { Daemon = true };
}
