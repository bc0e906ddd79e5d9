using System.Globalization;

namespace Multiprocess.Tests.Pooling;

/// <summary>Who holds a flock(2) on a file and who waits for it, as /proc/locks lists them ("N: FLOCK ... PID
/// MAJ:MIN:INODE ..." for the holder, "N: -> FLOCK ..." for each waiter); the inode comes from this process's own fd
/// on the file (/proc/self/fdinfo).</summary>
internal static class FlockHolders
{
    public static (int[] Holders, int[] Waiters) Read(string path)
    {
        var inode = InodeOfOpenFile(path) ?? throw new InvalidOperationException($"this process has no fd open on {path}");
        var holders = new List<int>();
        var waiters = new List<int>();
        foreach (var line in File.ReadLines("/proc/locks"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var waiting = fields.Length > 1 && fields[1] == "->";
            var f = waiting ? fields.AsSpan(2) : fields.AsSpan(1);
            if (f.Length >= 5 && f[0] == "FLOCK" && f[4].EndsWith(":" + inode, StringComparison.Ordinal))
            {
                (waiting ? waiters : holders).Add(int.Parse(f[3], CultureInfo.InvariantCulture));
            }
        }

        return (holders.ToArray(), waiters.ToArray());
    }

    private static string? InodeOfOpenFile(string path)
    {
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;   // an fd closed meanwhile
            }

            if (target == path)
            {
                var info = File.ReadAllLines("/proc/self/fdinfo/" + System.IO.Path.GetFileName(fd));
                return info.FirstOrDefault(l => l.StartsWith("ino:", StringComparison.Ordinal))?[4..].Trim();
            }
        }

        return null;
    }
}
