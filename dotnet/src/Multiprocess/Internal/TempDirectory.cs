namespace Multiprocess.Internal;

/// <summary>
/// Python's <c>util.get_temp_dir()</c>: one private <c>pymp-XXXXXXXX</c> folder per process (mode 0700, under
/// TMPDIR), created on first use and removed when the process exits; plus <c>tempfile.mktemp</c>-style names in it.
/// </summary>
internal static class TempDirectory
{
    // tempfile._RandomNameSequence.characters
    private const string NameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789_";
    private static readonly Lazy<string> s_directory = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Gets the folder, creating it on first use.</summary>
    public static string Path => s_directory.Value;

    /// <summary>A listener socket path that does not exist yet: <c>&lt;dir&gt;/listener-YYYYYYYY</c>.</summary>
    public static string NewListenerPath()
    {
        while (true)
        {
            var path = System.IO.Path.Combine(Path, "listener-" + RandomName());
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                return path;
            }
        }
    }

    private static string Create()
    {
        var root = System.IO.Path.GetTempPath();
        for (var attempt = 0; ; attempt++)
        {
            var path = System.IO.Path.Combine(root, "pymp-" + RandomName());
            if (Directory.Exists(path))
            {
                continue;
            }

            try
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(path);
                }
                else
                {
                    Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
            catch (IOException) when (attempt < 100)
            {
                continue;
            }

            AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(path);
            return path;
        }
    }

    private static void Remove(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort, as Python's _remove_temp_dir (rmtree ignore_errors).
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string RandomName() => SystemRandom.GetString(NameCharacters, 8);
}
