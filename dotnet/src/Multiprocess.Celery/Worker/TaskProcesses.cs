using System.Diagnostics;

namespace Multiprocess.Celery.Worker;

/// <summary>
/// The processes a task registered with <see cref="TaskContext.KillOnHardTimeLimit"/>: at the hard time limit each is
/// killed with its descendants (SIGKILL, by pid) and reaped, before the failure is stored.
/// </summary>
internal sealed class TaskProcesses
{
    private readonly Lock _lock = new();
    private readonly List<Process> _processes = [];
    private bool _killed;

    public void Add(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        lock (_lock)
        {
            if (!_killed)
            {
                _processes.Add(process);
                return;
            }
        }

        Kill(process);
    }

    /// <summary>Kills every registered process (and any registered later); returns the pids killed.</summary>
    public List<int> KillAll()
    {
        List<Process> processes;
        lock (_lock)
        {
            _killed = true;
            processes = [.. _processes];
        }

        return processes.Select(Kill).Where(pid => pid > 0).ToList();
    }

    private static int Kill(Process process)
    {
        try
        {
            var pid = process.Id;
            if (process.HasExited)
            {
                return 0;
            }

            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            return pid;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return 0; // not started, or gone already
        }
    }
}
