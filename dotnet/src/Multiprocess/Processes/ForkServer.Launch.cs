using System.Security.Cryptography;
using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Reduction;

namespace Multiprocess.Processes;

/// <summary>The server this process runs: start (posix_spawn of <c>forkserver.main</c>), restart after a death, stop.</summary>
public sealed partial class ForkServer
{
    private void EnsureRunningLocked()
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        if (_options is null)
        {
            return;   // attached: a dead server shows when its socket refuses the connection
        }

        if (_pid != 0)
        {
            if (PosixSpawn.Wait(_pid, noHang: true) is null && LibcSpawn.Kill(_pid, 0) == 0)
            {
                return;
            }

            // Dead (reaped just now, or by someone else): start another, as ensure_running does.
            _pid = 0;
            StopLocked();
        }

        Launch(_options);
    }

    private void Launch(ForkServerOptions options)
    {
        var python = options.Interpreter ?? PythonInterpreter.Default;
        var authenticate = options.Authenticate ?? python.Version >= new Version(3, 14);
        var address = TempDirectory.NewListenerPath();
        var listenerFd = LibcListen.ListenUnix(address);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(address, UnixFileMode.UserRead | UnixFileMode.UserWrite);   // os.chmod(address, 0o600)
        }

        var (aliveRead, aliveWrite) = PosixSpawn.Pipe();
        var (authRead, authWrite) = authenticate ? PosixSpawn.Pipe() : (-1, -1);
        int pid;
        try
        {
            var program = ForkServerWire.MainProgram(
                options.Package, listenerFd, aliveRead, options.Preload, null, authenticate ? authRead : null);
            var fds = new List<(int, int)> { (1, 1), (2, 2), (listenerFd, listenerFd), (aliveRead, aliveRead) };
            if (authenticate)
            {
                fds.Add((authRead, authRead));
            }

            pid = PosixSpawn.Start(
                python.Path,
                [python.Path, .. options.InterpreterFlags, "-c", program],
                fds,
                [],
                PythonProcess.ChildEnvironment(options.Environment, options.SysPath));
        }
        catch
        {
            LibcPipe.Close(aliveWrite);
            if (authenticate)
            {
                LibcPipe.Close(authWrite);
            }

            TryDelete(address);
            throw;
        }
        finally
        {
            // Only the server listens: with our copy closed, a dead server's address refuses connections.
            LibcPipe.Close(listenerFd);
            LibcPipe.Close(aliveRead);
            if (authenticate)
            {
                LibcPipe.Close(authRead);
            }
        }

        byte[]? authKey = null;
        if (authenticate)
        {
            // A short-lived pipe hands the server its key (32 bytes fit one write to an empty pipe).
            authKey = RandomNumberGenerator.GetBytes(ForkServerWire.AuthKeyLength);
            try
            {
                Queues.PipeFrames.Write(authWrite, authKey);
            }
            catch (IOException)
            {
                // The server died before reading it: the first request will say so.
            }
            finally
            {
                LibcPipe.Close(authWrite);
            }
        }

        (_pid, _aliveWrite, _address, _authKey) = (pid, aliveWrite, address, authKey);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the server this object started (<c>_pid</c>) to exit,
    /// reaping it; polls every 5 ms, since a child's exit cannot be waited for with a timeout otherwise.</summary>
    /// <returns><see langword="true"/> once it has exited (or is no longer ours to wait for).</returns>
    private bool AwaitExitLocked(TimeSpan timeout)
    {
        var deadline = Deadline.From(timeout);
        while (PosixSpawn.Wait(_pid, noHang: true) is null && LibcSpawn.Kill(_pid, 0) == 0)
        {
            if (Deadline.Expired(deadline))
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    private void StopLocked()
    {
        if (_aliveWrite >= 0)
        {
            LibcPipe.Close(_aliveWrite);   // EOF on alive_r: the server raises SystemExit
            _aliveWrite = -1;
        }

        if (_options is null)
        {
            return;
        }

        if (_pid != 0)
        {
            if (!AwaitExitLocked(TimeSpan.FromSeconds(5)))
            {
                LibcSpawn.Kill(_pid, LibcSpawn.SIGKILL);
                PosixSpawn.Wait(_pid);
            }

            _pid = 0;
        }

        if (_address is { } address)
        {
            TryDelete(address);
        }

        _address = null;
        _authKey = null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
