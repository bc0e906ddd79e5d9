using System.Text.Json;
using Multiprocess.Celery.Results;
using Multiprocess.Celery.Tests.Support;
using Multiprocess.Celery.Worker;
using static Multiprocess.Celery.Tests.Support.TestWorkers;

namespace Multiprocess.Celery.Tests;

/// <summary>Time limits (soft: the token; hard: FAILURE TimeLimitExceeded, the executor abandoned or the worker process ended, the task's processes killed) and events seen by Celery's own event receiver.</summary>
[TestFixture]
[NonParallelizable]
public sealed class WorkerLimitsAndEventsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Redis => CeleryServers.Redis.Url(7);

    [Test]
    public void HardTimeLimit_HandlerIgnoresIt_FailsTimeLimitExceededAndTheWorkerGoesOn()
    {
        var queue = Unique("hard");
        using var release = new ManualResetEventSlim();
        using var returned = new ManualResetEventSlim();
        using var worker = Start(Redis, queue, w =>
        {
            w.Register("t.hang", _ =>
            {
                release.Wait(); // deaf to cancellation, as a stuck native call
                returned.Set();
                return "late";
            });
            w.Register("t.add", args => (long)args[0]! + (long)args[1]!);
        }, o => o.Concurrency = 1);
        using var client = new CeleryClient(Redis);
        var hung = client.SendTask("t.hang", [], options: new SendOptions { Queue = queue, TimeLimit = 1 });
        var e = Assert.Throws<CeleryTaskException>(() => hung.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("TimeLimitExceeded"));
        Assert.That(e.ExceptionArgs, Is.EqualTo(new object?[] { 1.0 }));
        Assert.That(client.SendTask("t.add", [2L, 3L], options: new SendOptions { Queue = queue }).Get(Wait), Is.EqualTo(5L), "the only executor was replaced");
        Assert.That(worker.AbandonedExecutors, Is.EqualTo(1));
        release.Set();
        Assert.That(returned.Wait(Wait), Is.True);
        Assert.That(hung.State, Is.EqualTo(TaskStates.Failure), "the abandoned handler's late return is dropped");
    }

    [Test]
    public void SoftTimeLimit_HandlerHonoursTheToken_FailsSoftTimeLimitExceeded()
    {
        var queue = Unique("soft");
        using var worker = Start(Redis, queue, w => w.RegisterBound("t.patient", ctx =>
        {
            ctx.SoftTimeLimit.WaitHandle.WaitOne(Wait);
            ctx.SoftTimeLimit.ThrowIfCancellationRequested();
            return "not cancelled";
        }));
        using var client = new CeleryClient(Redis);
        var r = client.SendTask("t.patient", [], options: new SendOptions { Queue = queue, SoftTimeLimit = 0.3 });
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("SoftTimeLimitExceeded"));
    }

    [Test]
    public void Events_OnRedis_CeleryEventReceiverSeesTheCSharpWorkerAndItsTasks() => AssertEventsSeen(Redis, new());

    [Test]
    public void Events_OnRabbit_CeleryEventReceiverSeesTheCSharpWorkerAndItsTasks() =>
        AssertEventsSeen(CeleryServers.Rabbit.Url, new() { ["CELERY_TEST_BACKEND"] = "rpc://" });

    [Test]
    public void HardTimeLimit_ProcessTheTaskStarted_IsKilledWithItsChildrenBeforeTheFailure()
    {
        var queue = Unique("hard-kill");
        System.Diagnostics.Process? child = null;
        using var grandchildPid = new SemaphoreSlim(0);
        var grandchild = 0;
        using var worker = Start(Redis, queue, w => w.RegisterBound("t.child", ctx =>
        {
            // A shell that starts a grandchild and waits: the kill must reach both, as prefork's kills the pool child.
            var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", "sleep 600 & echo $!; wait"]) { RedirectStandardOutput = true, UseShellExecute = false };
            var p = System.Diagnostics.Process.Start(psi)!;
            child = p;
            ctx.KillOnHardTimeLimit(p);
            grandchild = int.Parse(p.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            grandchildPid.Release();
            p.WaitForExit();
            return p.ExitCode;
        }), o => o.Concurrency = 1);
        using var client = new CeleryClient(Redis);
        var r = client.SendTask("t.child", [], options: new SendOptions { Queue = queue, TimeLimit = 1 });
        var e = Assert.Throws<CeleryTaskException>(() => r.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("TimeLimitExceeded"));
        Assert.That(child!.HasExited, Is.True, "the task's process was killed and reaped before the failure was stored");
        Assert.That(grandchildPid.Wait(Wait), Is.True);
        Assert.That(ProcessState(grandchild), Is.Null.Or.EqualTo("Z"), $"the grandchild {grandchild} was killed too");
    }

    [Test]
    public void HardTimeLimit_ExitAction_HandlerStillOnItsThread_WorkerProcessExitsAndItsOtherTaskIsRedelivered()
    {
        // multiprocess.sleep is a Thread.Sleep on the executor: deaf to its token, nothing to kill but the process.
        var queue = Unique("hard-exit");
        using var client = new CeleryClient(Redis);
        using var doomed = CSharpWorkerProcess.Start(
            Redis, queue, "--concurrency", "2", "--prefetch-multiplier", "1", "--track-started", "--hard-time-limit-action", "exit", "--without-heartbeat");
        var hung = client.SendTask("multiprocess.sleep", [600.0], options: new SendOptions { Queue = queue, TimeLimit = 1 });
        var other = client.SendTask("multiprocess.sleep", [30.0], options: new SendOptions { Queue = queue, TimeLimit = 60 });
        Assert.That(() => other.State, Is.EqualTo(TaskStates.Started).After(20_000, 50), doomed.Tail());

        var e = Assert.Throws<CeleryTaskException>(() => hung.Get(Wait))!;
        Assert.That(e.ExceptionType, Is.EqualTo("TimeLimitExceeded"));
        Assert.That(doomed.WaitForExit(Wait), Is.EqualTo(CeleryWorker.HardTimeLimitExitCode), doomed.Tail());
        Assert.That(doomed.Output, Does.Contain("exiting with code 70"), doomed.Tail());
        Assert.That(other.State, Is.EqualTo(TaskStates.Started), "the other task died with the process, unfinished");

        // Unacknowledged, it comes back after the visibility timeout, restored by any live consumer of the Redis.
        using var heir = Start(Redis, queue, w => w.Register("multiprocess.sleep", args => args[0]), o =>
        {
            o.VisibilityTimeout = TimeSpan.FromSeconds(1);
            o.RestoreInterval = TimeSpan.FromSeconds(0.25);
        });
        Assert.That(other.Get(Wait), Is.EqualTo(30.0), "the heir echoes the seconds without sleeping");
        Assert.That(hung.State, Is.EqualTo(TaskStates.Failure), "the hung task was acknowledged with its failure: not run again");
    }

    // The state letter of /proc/PID/stat (Z: a zombie, dead), or null when the process is gone.
    private static string? ProcessState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void AssertEventsSeen(string broker, Dictionary<string, string> env)
    {
        var queue = Unique("events");
        using var worker = Start(broker, queue, w =>
        {
            w.Register("t.add", args => (long)args[0]! + (long)args[1]!);
            w.Register("t.fail", args => throw new ArgumentException((string)args[0]!));
        }, o =>
        {
            o.SendTaskEvents = true;
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
        });
        var okId = Guid.NewGuid().ToString();
        var failedId = Guid.NewGuid().ToString();
        env["CELERY_TEST_BROKER"] = broker;
        env.TryAdd("CELERY_TEST_BACKEND", broker);
        env["PYTHONDONTWRITEBYTECODE"] = "1";
        using var probe = ChildProcess.Start(PythonCelery.Python, ["events_probe.py", worker.Options.Hostname, okId, failedId], env, PythonCelery.ModuleDirectory);
        probe.WaitForLine("HEARTBEAT", Wait);
        using var client = new CeleryClient(broker);
        client.SendTask("t.add", [2L, 3L], options: new SendOptions { Queue = queue, TaskId = okId });
        client.SendTask("t.fail", ["event boom"], options: new SendOptions { Queue = queue, TaskId = failedId });
        Assert.That(probe.WaitForExit(TimeSpan.FromSeconds(90)), Is.Zero, probe.Tail());
        var line = probe.Output.Split('\n').Last(l => l.StartsWith('{'));
        var seen = JsonDocument.Parse(line).RootElement;
        Assert.That(seen.GetProperty("types").EnumerateArray().Select(t => t.GetString()), Is.SupersetOf(new[]
        {
            "worker-heartbeat", "task-received", "task-started", "task-succeeded", "task-failed",
        }), line);
        Assert.That(seen.GetProperty("worker_alive").GetBoolean(), Is.True, line);
        Assert.That(seen.GetProperty("ok").GetProperty("state").GetString(), Is.EqualTo("SUCCESS"), line);
        Assert.That(seen.GetProperty("ok").GetProperty("name").GetString(), Is.EqualTo("t.add"), line);
        Assert.That(seen.GetProperty("ok").GetProperty("result").GetString(), Is.EqualTo("5"), line);
        Assert.That(seen.GetProperty("failed").GetProperty("exception").GetString(), Does.Contain("event boom"), line);
    }

}
