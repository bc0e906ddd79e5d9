using System.Diagnostics;
using Multiprocess.Connection;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// A Python manager server process (manager_server.py): SyncManager plus the test type ids, serving in its own
/// process until stdin closes. Started once per fixture; killed if it does not stop in time.
/// </summary>
public sealed class PythonManagerServer : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private PythonManagerServer(Process process, ConnectionAddress address, ManagerPeer peer)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        Address = address;
        Peer = peer;
    }

    /// <summary>Gets the address the manager listens on.</summary>
    public ConnectionAddress Address { get; }

    /// <summary>Gets the peer description.</summary>
    public ManagerPeer Peer { get; }

    /// <summary>Gets the process id of the manager.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Gets a value indicating whether the process exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts a manager for <paramref name="peer"/> with <paramref name="authKey"/> and waits for its address.</summary>
    public static PythonManagerServer Start(ManagerPeer peer, string authKey, string serializer = "pickle")
    {
        var psi = new ProcessStartInfo(PythonInterpreters.Get(peer.Version))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(RepoPaths.ManagerServerScript);
        psi.ArgumentList.Add(peer.LibraryName);
        psi.ArgumentList.Add(peer.Family);
        psi.ArgumentList.Add(authKey);
        psi.ArgumentList.Add(serializer);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        if (peer.IsMultiprocess)
        {
            psi.Environment["PYTHONPATH"] = RepoPaths.MultiprocessShim;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        var line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(s_startTimeout) || line.Result is null)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The {peer} manager did not report its address: {process.StandardError.ReadToEnd()}");
        }

        return new PythonManagerServer(process, ConnectionAddress.Parse(line.Result), peer);
    }

    /// <summary>Kills the manager at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Stops the manager: stdin EOF makes it exit cleanly (its pool workers with it); killed after 10 s.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5_000);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>Returns what the manager wrote to stderr so far (only complete once it exited).</summary>
    public string Stderr => _stderr.IsCompleted ? _stderr.Result : "";
}
