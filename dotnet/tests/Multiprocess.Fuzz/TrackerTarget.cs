using System.Text;
using Multiprocess.Pickle;
using Multiprocess.ResourceTracking;

namespace Multiprocess.Fuzz;

/// <summary>
/// <c>tracker</c>: the resource tracker's pipe protocol (ResourceTracking/ResourceTrackerServer.cs, CPython's
/// <c>resource_tracker.main</c>): lines <c>CMD:NAME:TYPE</c> until end of stream, then the leak report. Nothing may
/// escape it: a malformed line is reported and skipped. The cleanup is replaced by a recorder, so no input unlinks a
/// real semaphore or segment; a name cleaned up (but for the silent "dummy" type) must have been warned about.
/// </summary>
internal static class TrackerTarget
{
    public static FuzzTarget Create() => new("tracker", "ResourceTrackerServer.Run on a pipe that sends the input", Run, Seeds);

    private static void Run(byte[] input)
    {
        var stderr = new StringWriter();
        var cleaned = new List<(string Type, string Name)>();
        var tracker = new ResourceTrackerServer(stderr)
        {
            CleanupResource = (type, name) =>
            {
                cleaned.Add((type, name));
                return null;
            },
        };
        var code = tracker.Run(new MemoryStream(input, writable: false));
        if (code is < 0 or > 3)
        {
            throw new FuzzFindingException($"the tracker exited {code}; only 0-3 exist");
        }

        var report = stderr.ToString();
        foreach (var (type, name) in cleaned.Where(c => c.Type != "dummy"))
        {
            if (!report.Contains($"leaked {type} objects", StringComparison.Ordinal))
            {
                throw new FuzzFindingException($"the tracker cleaned up {type} {PyRepr.Repr(name)} without the leak warning");
            }
        }
    }

    private static IEnumerable<(string, byte[])> Seeds(string repo)
    {
        static byte[] Lines(params string[] lines) => Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        yield return ("register-unregister", Lines("REGISTER:/psm_fuzz0001:shared_memory", "UNREGISTER:/psm_fuzz0001:shared_memory", "PROBE:0:noop"));
        yield return ("leak", Lines("REGISTER:/mp-fuzz0002:semaphore", "REGISTER:/psm_fuzz0003:shared_memory", "REGISTER:x:dummy"));
        // 3.14's JSON lines (names that hold ':').
        yield return ("json", Lines("{\"cmd\": \"REGISTER\", \"rtype\": \"shared_memory\", \"base64_name\": \"L3BzbV9hOmI=\"}", "PROBE:0:noop"));
        yield return ("malformed", Lines("REGISTER:/x", "FROB:/x:semaphore", "UNREGISTER:/never:shared_memory", "REGISTER:/y:unknown"));
    }
}
