using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Multiprocess.Internal;
using Multiprocess.Pickle;

namespace Multiprocess.ResourceTracking;

/// <summary>
/// The tracker process itself (CPython's <c>resource_tracker.main</c>): reads lines until every writer has closed the
/// pipe, then warns about and unlinks whatever is still registered. Run by <c>multiprocess resource-tracker FD</c>.
/// </summary>
/// <remarks>Reads every line CPython 3.8–3.14 writes (<see cref="ResourceTrackerMessage.TryParse"/>: 3.14's JSON lines and
/// names containing ':' included). Accepts the resource types of CPython 3.13 and 3.14 (<c>noop</c>, <c>dummy</c>, <c>semaphore</c>,
/// <c>shared_memory</c>), warns in 3.13's wording (3.8–3.12's message is its prefix, without the names) and exits with
/// 3.13's status: 0 clean, 1 leaks cleaned up, 2 a cleanup failed, 3 a malformed line was seen.</remarks>
public sealed class ResourceTrackerServer
{
    /// <summary>The longest line kept; longer ones are reported as malformed and skipped (CPython has no limit).</summary>
    public const int MaxLineLength = 64 * 1024;

    // CPython 3.13's _CLEANUP_FUNCS in insertion order, which is the order of the leak report.
    private static readonly string[] s_resourceTypes = ["noop", "dummy", ResourceTracker.SemaphoreType, ResourceTracker.SharedMemoryType];

    private readonly Dictionary<string, List<string>> _cache = s_resourceTypes.ToDictionary(t => t, _ => new List<string>());
    private readonly TextWriter _stderr;
    private readonly string _warningPrefix;

    /// <summary>Creates a tracker state machine that reports to <paramref name="stderr"/>.</summary>
    /// <param name="stderr">Where warnings and malformed-line errors go.</param>
    /// <param name="warningPrefix">What starts each warning line (CPython prints <c>file:line: UserWarning: …</c>).</param>
    public ResourceTrackerServer(TextWriter stderr, string warningPrefix = "multiprocess resource-tracker")
    {
        _stderr = stderr;
        _warningPrefix = warningPrefix;
    }

    /// <summary>Gets or sets what unlinks a leaked resource (type, name) and returns the failure text, or null: the
    /// real sem_unlink/shm_unlink by default. The fuzz harness replaces it, so no input can unlink a real segment.</summary>
    internal Func<string, string, string?> CleanupResource { get; set; } = Cleanup;

    /// <summary>Gets the exit status so far (3 after a malformed line; set to 1 or 2 by <see cref="Shutdown"/>).</summary>
    public int ExitCode { get; private set; }

    /// <summary>The names currently registered under <paramref name="resourceType"/>.</summary>
    /// <param name="resourceType">A resource type.</param>
    /// <returns>The names, in registration order.</returns>
    public IReadOnlyList<string> Registered(string resourceType) =>
        _cache.TryGetValue(resourceType, out var names) ? names : [];

    /// <summary>Runs the tracker on an inherited read fd until EOF, then cleans up; returns the exit status.</summary>
    /// <param name="fd">The read end of the tracker pipe.</param>
    /// <param name="stderr">Where to report (default: this process's stderr).</param>
    /// <returns>The exit status.</returns>
    public static int Run(int fd, TextWriter? stderr = null)
    {
        // Protect the tracker from ^C and "killall" as CPython does (it sets SIG_IGN; cancelling .NET's default
        // handling is the equivalent). The registrations must stay alive for the whole run.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true);
        using var input = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        // The tracker process's stderr by default, as CPython's resource_tracker.main warns of leaked resources there
        // (warnings.warn) and prints its cleanup errors (the text mirrors it).
        var server = new ResourceTrackerServer(stderr ?? Console.Error);
        return server.Run(input);
    }

    /// <summary>Reads lines from <paramref name="input"/> until EOF, then cleans up; returns the exit status.</summary>
    /// <param name="input">The pipe.</param>
    /// <returns>The exit status.</returns>
    public int Run(Stream input)
    {
        var buffer = new byte[4096];
        var line = new List<byte>();
        var overlong = false;
        try
        {
            int n;
            while ((n = Read(input, buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, n);
                while (chunk.Length > 0)
                {
                    var nl = chunk.IndexOf((byte)'\n');
                    var part = nl < 0 ? chunk : chunk[..nl];
                    if (!overlong)
                    {
                        line.AddRange(part);
                        if (line.Count > MaxLineLength)
                        {
                            Report($"ValueError: line longer than {MaxLineLength} bytes (starts {PyRepr.Repr(line.Take(40).ToArray())})");
                            overlong = true;
                            line.Clear();
                        }
                    }

                    if (nl < 0)
                    {
                        break;
                    }

                    if (!overlong)
                    {
                        ProcessLine(CollectionsMarshal.AsSpan(line));
                    }

                    line.Clear();
                    overlong = false;
                    chunk = chunk[(nl + 1)..];
                }
            }

            // A last line without its newline still counts (Python's `for line in f`).
            if (line.Count > 0 && !overlong)
            {
                ProcessLine(CollectionsMarshal.AsSpan(line));
            }
        }
        finally
        {
            Shutdown();
        }

        return ExitCode;
    }

    /// <summary>Handles one line: REGISTER, UNREGISTER or PROBE; anything malformed is reported and sets exit 3.</summary>
    /// <param name="line">The line, with or without its newline.</param>
    public void ProcessLine(ReadOnlySpan<byte> line)
    {
        if (!ResourceTrackerMessage.TryParse(line, out var command, out var name, out var resourceType, out var error))
        {
            Report(error!);
            return;
        }

        if (!_cache.TryGetValue(resourceType, out var names))
        {
            Report($"ValueError: Cannot register {name} for automatic cleanup: unknown resource type {resourceType}");
            return;
        }

        switch (command)
        {
            case "REGISTER":
                if (!names.Contains(name, StringComparer.Ordinal))
                {
                    names.Add(name);
                }

                break;
            case "UNREGISTER":
                if (!names.Remove(name))
                {
                    Report($"KeyError: {PyRepr.Repr(name)}");
                }

                break;
            case "PROBE":
                break;
            default:
                Report($"RuntimeError: unrecognized command {PyRepr.Repr(command)}");
                break;
        }
    }

    /// <summary>All writers are gone: warns about each resource type with names left, unlinks them, and returns the
    /// exit status.</summary>
    /// <returns>The exit status.</returns>
    public int Shutdown()
    {
        foreach (var resourceType in s_resourceTypes)
        {
            var names = _cache[resourceType];
            if (names.Count == 0)
            {
                continue;
            }

            ExitCode = 1;
            if (resourceType != "dummy")
            {
                var set = "{" + string.Join(", ", names.Select(PyRepr.Repr)) + "}";
                Warn($"resource_tracker: There appear to be {names.Count} leaked {resourceType} objects to clean up at shutdown: {set}");
            }

            foreach (var name in names)
            {
                // The process that registered this has failed to unregister it; presumably it died.
                var failure = CleanupResource(resourceType, name);
                if (failure is not null)
                {
                    ExitCode = 2;
                    Warn($"resource_tracker: {PyRepr.Repr(name)}: {failure}");
                }
            }

            names.Clear();
        }

        _stderr.Flush();
        return ExitCode;
    }

    private static string? Cleanup(string resourceType, string name)
    {
        switch (resourceType)
        {
            case ResourceTracker.SemaphoreType:
                // _multiprocessing.sem_unlink: OSError without a filename.
                return LibcSem.SemUnlink(name) == 0 ? null : ThrowHelper.OSError(ThrowHelper.LastErrno).Message;
            case ResourceTracker.SharedMemoryType:
                // _posixshmem.shm_unlink: OSError with the name as filename.
                return LibcShm.ShmUnlink(name) == 0 ? null : ThrowHelper.OSError(ThrowHelper.LastErrno, name).Message;
            case "noop":
                return "noop should never be registered or cleaned up";
            default:
                return null;
        }
    }

    private static int Read(Stream input, byte[] buffer)
    {
        while (true)
        {
            try
            {
                return input.Read(buffer, 0, buffer.Length);
            }
            catch (IOException e) when (e.HResult == Errno.EINTR)
            {
                // Interrupted by a signal we ignore: read again.
            }
        }
    }

    private void Report(string error)
    {
        ExitCode = 3;
        _stderr.WriteLine($"{_warningPrefix}: {error}");
        _stderr.Flush();
    }

    private void Warn(string message) => _stderr.WriteLine($"{_warningPrefix}: UserWarning: {message}");
}
