namespace Multiprocess.Benchmarks.Harness;

/// <summary>What a results row records of the machine that measured it: CPU model, logical cores, OS.</summary>
public static class MachineDescription
{
    private static readonly Lazy<string> s_value = new(Describe);

    /// <summary>Gets the description, e.g. "AMD EPYC 7B13, 2 cores, Debian GNU/Linux 12 (bookworm)".</summary>
    public static string Value => s_value.Value;

    private static string Describe()
    {
        var cpu = ReadField("/proc/cpuinfo", "model name", ':') ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        var os = ReadField("/etc/os-release", "PRETTY_NAME", '=')?.Trim('"') ?? System.Runtime.InteropServices.RuntimeInformation.OSDescription;
        return $"{cpu}, {Environment.ProcessorCount} cores, {os}";
    }

    private static string? ReadField(string path, string key, char separator)
    {
        try
        {
            return File.ReadLines(path)
                .Where(l => l.StartsWith(key, StringComparison.Ordinal) && l.Contains(separator, StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(separator, StringComparison.Ordinal) + 1)..].Trim())
                .FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
