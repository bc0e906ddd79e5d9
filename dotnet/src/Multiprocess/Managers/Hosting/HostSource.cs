namespace Multiprocess.Managers.Hosting;

/// <summary>
/// The host's Python code, <c>python/multiprocess_dotnet/_pyhost.py</c>, embedded in this assembly and run with
/// <c>python -c</c>: a user of the CLI needs nothing installed in the host's interpreter but the peer library.
/// </summary>
internal static class HostSource
{
    private static string? s_text;

    public static string Text => s_text ??= Load();

    private static string Load()
    {
        using var stream = typeof(HostSource).Assembly.GetManifestResourceStream("Multiprocess.pyhost.py")
            ?? throw new InvalidOperationException("the embedded resource Multiprocess.pyhost.py (python/multiprocess_dotnet/_pyhost.py) is missing from the engine assembly");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
