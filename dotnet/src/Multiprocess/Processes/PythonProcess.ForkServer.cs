using Multiprocess.Internal;
using Multiprocess.Queues;

namespace Multiprocess.Processes;

/// <content>popen_forkserver.Popen: the child is forked by a <see cref="ForkServer"/>, not spawned by this process.</content>
public sealed partial class PythonProcess
{
    private bool _viaForkServer;

    /// <summary>Gets the class the child's Process object is pickled as (<c>context.ForkServerProcess</c> through a
    /// forkserver, else <c>context.SpawnProcess</c>), which also names it by default.</summary>
    private string ProcessClass => Options.ForkServer is not null || Options.UseForkServer ? "ForkServerProcess" : "SpawnProcess";

    /// <summary>popen_forkserver.Popen._launch after the pickling: request the child, keep a duplicate of the data
    /// pipe's write end (the child's <c>parent_sentinel</c> reads EOF once it closes), write both pickles, read the
    /// pid from the status pipe, which stays the sentinel and later carries the exit code.</summary>
    private void StartThroughForkServer(ForkServer server, IReadOnlyList<int> fds, int? trackerFd, byte[] payload)
    {
        var tracker = trackerFd ?? throw new InvalidOperationException(
            "a forkserver child needs a resource tracker fd (connect_to_new_process sends resource_tracker.getfd()), and no tracker could be started: set PythonProcessOptions.Tracker or $MULTIPROCESS_CLI");
        var (statusRead, dataWrite) = server.ConnectToNewProcess(fds, tracker);
        var keep = LibcPipe.Dup(dataWrite);
        if (keep >= 0)
        {
            SocketNative.SetCloseOnExec(keep);
        }

        try
        {
            PipeFrames.Write(dataWrite, payload);
        }
        catch (IOException)
        {
            // The child died before reading: its exit code tells the story.
        }
        finally
        {
            LibcPipe.Close(dataWrite);
        }

        long? pid;
        try
        {
            pid = ForkServerWire.ReadSigned(statusRead);
        }
        catch (IOException)
        {
            pid = null;
        }

        if (pid is not { } p || p <= 0 || p > int.MaxValue)
        {
            LibcPipe.Close(statusRead);
            if (keep >= 0)
            {
                LibcPipe.Close(keep);
            }

            _closed = true;
            throw new IOException(
                $"the forkserver at {server.Address}{server.Describe()} closed the status pipe without sending {Name}'s pid{(pid is { } bad ? $" (sent {bad})" : "")}: the server died or refused the request");
        }

        _viaForkServer = true;
        _sentinel = statusRead;
        _parentWrite = keep;
        _pid = (int)p;
        s_children[this] = 0;
    }

    /// <summary>popen_forkserver.Popen.poll: once the status pipe is readable, it holds the exit code (the server's
    /// <c>waitstatus_to_exitcode</c>, −N for signal N); a pipe that ends without one means the server died: 255, as
    /// CPython reports it. Called under the gate.</summary>
    private bool PollForkServerChild()
    {
        if (_sentinel < 0)
        {
            _lost = true;
            return true;
        }

        if (!SocketNative.PollReadable(_sentinel, Deadline.From(TimeSpan.Zero)))
        {
            return false;
        }

        long? code;
        try
        {
            code = ForkServerWire.ReadSigned(_sentinel);
        }
        catch (IOException)
        {
            code = null;
        }

        _exitCode = code is { } c ? (int)c : 255;
        s_children.TryRemove(this, out _);
        return true;
    }
}
