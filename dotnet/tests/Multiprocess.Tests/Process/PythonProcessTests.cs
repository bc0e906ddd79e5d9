using Multiprocess.Pickle;
using Multiprocess.Processes;
using Multiprocess.Queues;
using Multiprocess.TestUtilities;
using Conn = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Processes;

/// <summary>Spawn round trips with every CPython: arguments in, exit codes out (Python's numbers, −signal when
/// killed), what the child sees of its parent, and the failure modes of starting.</summary>
[TestFixture]
public sealed class PythonProcessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void Start_ArgumentsQueueAndOptions_ChildSeesThemAsCPythonWould(string version)
    {
        using var q = new Queue();
        var dir = Path.GetTempPath();
        var options = PythonTargets.Options(version) with { WorkingDirectory = dir };
        var args = new object?[] { q, 1L, "two", 3.5, new List<object?> { 4L, null }, PyTuple.Create(true, new byte[] { 5 }) };
        using var p = new PythonProcess(PythonTargets.Target("report"), args, new Dictionary<string, object?> { ["k"] = "v" }, options)
        {
            Name = "child-of-csharp",
            Daemon = true,
        };
        p.Start();

        var report = (PyDict)q.Get(timeout: Wait)!;
        Assert.That(p.Join(Wait), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(p.ExitCode, Is.EqualTo(0));
            Assert.That(PyRepr.Repr(report["args"]), Is.EqualTo("(1, 'two', 3.5, [4, None], (True, b'\\x05'))"));
            Assert.That(PyRepr.Repr(report["kwargs"]), Is.EqualTo("{'k': 'v'}"));
            Assert.That(report["name"], Is.EqualTo("child-of-csharp"));
            Assert.That(report["daemon"], Is.True);
            Assert.That(report["authkey"], Is.EqualTo(CurrentProcess.AuthKey));
            Assert.That(report["pid"], Is.EqualTo((long)p.Pid!));
            Assert.That(report["parent_pid"], Is.EqualTo((long)Environment.ProcessId));
            Assert.That(report["parent_alive"], Is.True);
            Assert.That(report["cwd"], Is.EqualTo(Path.GetFullPath(dir).TrimEnd('/')));
            Assert.That((List<object?>)report["sys_path"]!, Does.Contain(PythonTargets.Directory));
            Assert.That(report["start_method"], Is.EqualTo("spawn"));
            Assert.That(report["version"], Is.EqualTo(version));
        });
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void ExitCode_EachOutcome_IsWhatPythonReports(string version)
    {
        var cases = new (string Target, object?[] Args, int Expected)[]
        {
            ("sleep", [0.0], 0),
            ("exit_with", [3L], 3),
            ("exit_none", [], version == "3.8" ? 1 : 0),
            ("raise_value_error", ["boom"], 1),
            ("kill_self", [9L], -9),
        };
        var processes = cases.Select(c => new PythonProcess(PythonTargets.Target(c.Target), c.Args, options: PythonTargets.Options(version, capture: true))).ToList();
        try
        {
            processes.ForEach(p => p.Start());
            for (var i = 0; i < cases.Length; i++)
            {
                Assert.That(processes[i].Join(Wait), Is.True, cases[i].Target);
                Assert.That(processes[i].ExitCode, Is.EqualTo(cases[i].Expected), cases[i].Target);
            }

            var failed = processes[3];
            Assert.That(failed.StandardError, Does.StartWith($"Process {failed.Name}:\n").And.Contain("ValueError: boom"));
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void TerminateAndKill_RunningChild_ExitCodeIsMinusSignal(string version)
    {
        using var terminated = new PythonProcess(PythonTargets.Target("sleep"), [60.0], options: PythonTargets.Options(version));
        using var killed = new PythonProcess(PythonTargets.Target("sleep"), [60.0], options: PythonTargets.Options(version));
        terminated.Start();
        killed.Start();
        Assert.Multiple(() =>
        {
            Assert.That(terminated.IsAlive, Is.True);
            Assert.That(terminated.Join(TimeSpan.FromMilliseconds(50)), Is.False);
            Assert.That(terminated.ExitCode, Is.Null);
            Assert.That(Conn.Wait([terminated.Sentinel, killed.Sentinel], TimeSpan.Zero), Is.Empty);
        });

        terminated.Terminate();
        killed.Kill();
        Assert.That(Conn.Wait([killed.Sentinel], Wait), Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(terminated.Join(Wait), Is.True);
            Assert.That(killed.Join(Wait), Is.True);
            Assert.That(terminated.ExitCode, Is.EqualTo(-15));
            Assert.That(killed.ExitCode, Is.EqualTo(-9));
            Assert.That(terminated.IsAlive, Is.False);
        });
    }

    [Test]
    public void CaptureOutput_StdoutAndStderr_AreSeparate()
    {
        using var p = new PythonProcess(PythonTargets.Target("print_both"), ["to out", "to err"], options: PythonTargets.Options("3.12", capture: true));
        p.Start();
        Assert.That(p.Join(Wait), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(p.StandardOutput, Is.EqualTo("to out\n"));
            Assert.That(p.StandardError, Is.EqualTo("to err\n"));
        });
    }

    [Test]
    public void Start_TargetModuleMissing_ExitCodeOneWithImportError()
    {
        using var p = new PythonProcess("no_such_module_xyz:f", options: PythonTargets.Options("3.12", capture: true));
        p.Start();
        Assert.That(p.Join(Wait), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(p.ExitCode, Is.EqualTo(1));
            Assert.That(p.StandardError, Does.Contain("No module named 'no_such_module_xyz'"));
        });
    }

    [TestCase("nocolon")]
    [TestCase(":f")]
    [TestCase("m:")]
    [TestCase("a:b:c")]
    [TestCase("m: f")]
    public void Constructor_BadTarget_ThrowsArgumentExceptionNamingIt(string target) =>
        Assert.That(() => new PythonProcess(target), Throws.ArgumentException.With.Message.Contains($"'{target}'"));

    [Test]
    public void Start_InterpreterMissing_ThrowsFileNotFound() =>
        Assert.That(() => PythonInterpreter.FromPath("/no/such/python3"), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("/no/such/python3"));

    [Test]
    public void Start_Twice_ThrowsInvalidOperation()
    {
        using var p = new PythonProcess(PythonTargets.Target("sleep"), [0.0], options: PythonTargets.Options("3.12"));
        p.Start();
        Assert.That(p.Start, Throws.InvalidOperationException);
        Assert.That(p.Join(Wait), Is.True);
    }

    [Test]
    public void Put_QueueAsQueueItem_ThrowsBecauseQueuesTravelOnlyByInheritance()
    {
        using var q = new Queue();
        using var inner = new Queue();
        Assert.That(() => q.Put(inner), Throws.TypeOf<PicklingException>().With.InnerException.Message.Contains("through inheritance"));
        Assert.That(q.QSize(), Is.EqualTo(0), "the slot is given back");
    }

    [Test]
    public void PythonInterpreter_FindByVersion_ReportsThatVersion()
    {
        var python = PythonInterpreter.Resolve("3.11");
        Assert.Multiple(() =>
        {
            Assert.That(python.Version.Major * 100 + python.Version.Minor, Is.EqualTo(311));
            Assert.That(() => PythonInterpreter.Find("2.5"), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("CPython 2.5"));
            Assert.That(() => PythonInterpreter.Find("three"), Throws.ArgumentException);
        });
    }
}
