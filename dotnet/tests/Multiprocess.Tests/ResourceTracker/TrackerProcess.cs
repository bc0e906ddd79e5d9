using System.Text;
using Microsoft.Win32.SafeHandles;
using Multiprocess.Internal;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Tests.ResourceTracking;

/// <summary>A tracker process started the way <see cref="ResourceTracker"/> starts one, but with its stderr captured.</summary>
internal sealed class TrackerProcess : IDisposable
{
    private readonly Task<string> _stderr;
    private int _fd;

    private TrackerProcess(int pid, int fd, Task<string> stderr)
    {
        Pid = pid;
        _fd = fd;
        _stderr = stderr;
        Client = ResourceTracker.FromFd(fd);
    }

    public int Pid { get; }

    /// <summary>Gets the write end (what a child gets as tracker_fd).</summary>
    public int Fd => _fd;

    /// <summary>Gets a client writing to the tracker.</summary>
    public ResourceTracker Client { get; }

    public static TrackerProcess Start(ResourceTrackerLauncher launcher)
    {
        var (r, w) = PosixSpawn.Pipe();
        var (errR, errW) = PosixSpawn.Pipe();
        try
        {
            var pid = PosixSpawn.Start(launcher.Executable, launcher.GetArguments(r), [(errW, 2), (r, r)], [LibcSpawn.SIGINT, LibcSpawn.SIGTERM]);
            var errors = new FileStream(new SafeFileHandle(errR, true), FileAccess.Read, 0);
            var stderr = Task.Run(() =>
            {
                using var reader = new StreamReader(errors, Encoding.UTF8);
                return reader.ReadToEnd();
            });
            return new TrackerProcess(pid, w, stderr);
        }
        finally
        {
            LibcPipe.Close(r);
            LibcPipe.Close(errW);
        }
    }

    /// <summary>Waits until the signal mask <paramref name="field"/> of /proc/PID/status (SigBlk, ShdPnd, SigCgt...)
    /// satisfies <paramref name="done"/>; a timeout names what was awaited and the last mask seen.</summary>
    public void WaitForSignalMask(string field, Func<ulong, bool> done, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        ulong? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = ReadSignalMask(field);
            if (last is { } mask && done(mask))
            {
                return;
            }

            if (PosixSpawn.Wait(Pid, noHang: true) is { } status)
            {
                throw new InvalidOperationException($"tracker {Pid} exited ({PosixSpawn.ExitCode(status)}) while waiting for {what}");
            }

            Thread.Sleep(2);
        }

        throw new TimeoutException($"waited {timeout.TotalSeconds} s for {what}: {field} of tracker {Pid} is {last:x16}");
    }

    private ulong? ReadSignalMask(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return Convert.ToUInt64(line[(field.Length + 1)..].Trim(), 16);
            }
        }

        return null;
    }

    /// <summary>Closes this process's write end; once every other holder is gone the tracker cleans up and exits.</summary>
    public (int ExitCode, string Stderr) Finish(TimeSpan timeout)
    {
        Client.Stop();
        _fd = -1;
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (PosixSpawn.Wait(Pid, noHang: true) is { } status)
            {
                return (PosixSpawn.ExitCode(status), _stderr.Wait(timeout) ? _stderr.Result : "");
            }

            Thread.Sleep(5);
        }

        throw new TimeoutException($"tracker {Pid} did not exit; stderr so far unknown");
    }

    public void Dispose()
    {
        Client.Stop();
        if (PosixSpawn.Wait(Pid, noHang: true) is null)
        {
            LibcSpawn.Kill(Pid, LibcSpawn.SIGKILL);
            PosixSpawn.Wait(Pid);
        }
    }
}
