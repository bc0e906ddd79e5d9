using System.Globalization;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>The processes of this machine by parent, read once from /proc; a member is a pid with its start time.</summary>
public sealed class ProcessTree
{
    private readonly Dictionary<int, List<Member>> _children = [];
    private readonly Dictionary<int, Member> _all = [];

    private ProcessTree()
    {
    }

    /// <summary>Reads /proc now.</summary>
    /// <returns>The tree.</returns>
    public static ProcessTree Snapshot()
    {
        var tree = new ProcessTree();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } stat)
            {
                var member = new Member(pid, stat.StartTime);
                tree._all[pid] = member;
                if (!tree._children.TryGetValue(stat.Parent, out var list))
                {
                    tree._children[stat.Parent] = list = [];
                }

                list.Add(member);
            }
        }

        return tree;
    }

    /// <summary>Whether a member still runs (the same pid with the same start time, and not a zombie).</summary>
    /// <param name="member">The member.</param>
    /// <returns><see langword="true"/> while it runs.</returns>
    public static bool IsAlive(Member member) => Read(member.Pid) is { } stat && stat.StartTime == member.StartTime && stat.State != 'Z';

    /// <summary>A running process's start time (-1 when it is gone).</summary>
    /// <param name="pid">The pid.</param>
    /// <returns>Its start time in clock ticks after boot.</returns>
    public static long StartTimeOf(int pid) => Read(pid)?.StartTime ?? -1;

    /// <summary>A process and all its descendants (the process first), as running when the snapshot was taken.</summary>
    /// <param name="pid">The process.</param>
    /// <returns>Its members; empty when it was not running.</returns>
    public IReadOnlyList<Member> Descendants(int pid)
    {
        var result = new List<Member>();
        if (!_all.TryGetValue(pid, out var root))
        {
            return result;
        }

        var queue = new Queue<Member>([root]);
        while (queue.TryDequeue(out var member))
        {
            result.Add(member);
            foreach (var child in _children.GetValueOrDefault(member.Pid) ?? [])
            {
                queue.Enqueue(child);
            }
        }

        return result;
    }

    // /proc/PID/stat after "pid (comm) ": state, ppid, … starttime (field 22 of the line, 19 after the comm).
    private static (char State, int Parent, long StartTime)? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    /// <summary>A process: pid and start time (clock ticks after boot), which together name it even after pid reuse.</summary>
    /// <param name="Pid">The pid.</param>
    /// <param name="StartTime">Its start time.</param>
    public readonly record struct Member(int Pid, long StartTime);
}
