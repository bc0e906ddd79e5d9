using System.Diagnostics;
using Multiprocess.Benchmarks.Harness;

namespace Multiprocess.Tests.Benchmarks;

/// <summary>
/// The benchmark harness's one way to start a process, wait for its ready line and stop it by pid
/// (<see cref="ServerProcess"/>), with /bin/sh scripts as the servers.
/// </summary>
[TestFixture]
public sealed class ServerProcessTests
{
    private static readonly ServerProcessOptions s_quick = new() { ReadyTimeout = TimeSpan.FromSeconds(2) };

    [Test]
    public void Start_ReadyLineAfterOthers_ReturnsIt_StopKillsByPid()
    {
        using var server = ServerProcess.Start("/bin/sh", ["-c", "echo starting; echo 'READY /tmp/x.sock'; exec sleep 30"]);

        Assert.That(server.ReadyLine, Is.EqualTo("READY /tmp/x.sock"));
        Assert.That(server.HasExited, Is.False);
        var stopwatch = Stopwatch.StartNew();
        server.Stop();
        Assert.That(server.HasExited, Is.True);
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public void Start_EmptyPrefix_TakesTheFirstLine()
    {
        using var peer = ServerProcess.Start("/bin/sh", ["-c", "echo 127.0.0.1:4242; exec sleep 30"], s_quick with { ReadyPrefix = "" });

        Assert.That(peer.ReadyLine, Is.EqualTo("127.0.0.1:4242"));
    }

    [Test]
    public void Start_NoReadyLineInTime_ThrowsTimeout_NamingTheCommandAndWhatItPrinted()
    {
        var stopwatch = Stopwatch.StartNew();

        var e = Assert.Throws<TimeoutException>(() => ServerProcess.Start("/bin/sh", ["-c", "echo hello; echo oops >&2; exec sleep 30"], s_quick));

        Assert.That(e!.Message, Does.StartWith("/bin/sh -c echo hello; echo oops >&2; exec sleep 30 did not print a line starting with 'READY' within 00:00:02 (killed)"));
        Assert.That(e.Message, Does.Contain("stdout: hello; stderr: oops"));
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(15)));
    }

    [Test]
    public void Start_ExitsBeforeReadyLine_ThrowsWithItsExitCodeAndOutput()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.Start("/bin/sh", ["-c", "echo nope; echo 'bad flag' >&2; exit 3"], s_quick));

        Assert.That(e!.Message, Does.Contain("exited with code 3 before printing a line starting with 'READY'"));
        Assert.That(e.Message, Does.Contain("stdout: nope; stderr: bad flag"));
    }

    [Test]
    public void Start_MissingProgram_ThrowsNamingIt()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.Start("/nonexistent/multiprocess", ["serve"], s_quick));

        Assert.That(e!.Message, Does.StartWith("could not start /nonexistent/multiprocess serve"));
    }

    [Test]
    public void Stop_KillDescendants_KillsItsChildToo()
    {
        using var server = ServerProcess.Start("/bin/sh", ["-c", "sleep 30 & echo \"READY $!\"; wait"], s_quick with { KillDescendants = true });
        var child = int.Parse(server.ReadyLine["READY ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(IsRunning(child), Is.True);

        server.Stop();

        Assert.That(WaitUntil(() => !IsRunning(child), TimeSpan.FromSeconds(10)), Is.True, $"child {child} still running");
    }

    [Test]
    public void Stop_WithStdinAndGrace_ClosesStdinFirst_LetsItExitOnItsOwn()
    {
        using var peer = ServerProcess.Start("/bin/sh", ["-c", "echo READY; cat >/dev/null; exit 7"], s_quick with { RedirectStandardInput = true, ExitGrace = TimeSpan.FromSeconds(10) });

        peer.Stop();

        Assert.That(peer.ExitCode, Is.EqualTo(7));   // not killed: SIGKILL would leave 137
    }

    [Test]
    public void Ended_AfterItsStdoutClosed_SaysItsExitCodeAndStderr()
    {
        using var peer = ServerProcess.Start("/bin/sh", ["-c", "echo READY; echo 'client failed' >&2; exit 5"], s_quick);
        Assert.That(peer.StandardOutput.ReadLine(), Is.Null);

        var e = peer.Ended();

        Assert.That(e.Message, Does.Contain("ended (exit code 5)"));
        Assert.That(e.Message, Does.Contain("stderr: client failed"));
    }

    /// <summary>Alive and not a zombie (a zombie has exited; its parent has not reaped it yet).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }
}
