namespace Multiprocess.Managers.Hosting;

/// <summary>How <c>multiprocess serve</c> runs its Python host (docs/python-host.md).</summary>
internal sealed class PythonHostOptions
{
    /// <summary>Gets the interpreter (a path, or a name looked up on PATH).</summary>
    public required string Executable { get; init; }

    /// <summary>
    /// Gets the clients' library: <c>multiprocessing</c> (the stdlib) or <c>multiprocess</c> (dill). The host makes its
    /// Pools with it, pickles replies with its ForkingPickler (dill sends functions by value), and raises its
    /// exception classes (a client's <c>except mp.TimeoutError</c> must match).
    /// </summary>
    public string Flavour { get; init; } = "multiprocessing";

    /// <summary>Gets <c>--register TYPEID=module:callable[,proxytype]</c> entries.</summary>
    public IReadOnlyList<HostRegistration> Registrations { get; init; } = [];

    /// <summary>Gets <c>--manager module:Class</c> entries: every type id of the BaseManager subclass that SyncManager does not serve natively.</summary>
    public IReadOnlyList<string> Managers { get; init; } = [];

    /// <summary>Gets the <c>module:callable</c> run in the host before it serves (CPython's <c>start(initializer)</c>), or null.</summary>
    public string? Initializer { get; init; }

    /// <summary>Gets the initializer's arguments as a Python literal (a tuple, or one value), or null for none.</summary>
    public string? InitArgs { get; init; }

    /// <summary>Gets how long the host may take to start and import what it registers.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets whether the host must run before the server listens (registrations need its answers).</summary>
    public bool StartEagerly => Registrations.Count > 0 || Managers.Count > 0 || Initializer is not null;

    /// <summary>The first <c>python3</c> (then <c>python</c>) on PATH, or null.</summary>
    public static string? FindOnPath()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in (string[])["python3", "python"])
        {
            foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

/// <summary>One <c>--register TYPEID=module:callable[,module:proxytype]</c>.</summary>
/// <param name="TypeId">The type id.</param>
/// <param name="Callable">The callable, <c>module:qualname</c>.</param>
/// <param name="ProxyType">The proxy type whose <c>_exposed_</c> and <c>_method_to_typeid_</c> the server uses, or null (AutoProxy).</param>
internal sealed record HostRegistration(string TypeId, string Callable, string? ProxyType)
{
    /// <summary>Parses <c>TYPEID=module:callable[,module:proxytype]</c>.</summary>
    /// <exception cref="FormatException">Names the part that is wrong.</exception>
    public static HostRegistration Parse(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new FormatException($"--register '{text}': expected TYPEID=module:callable[,module:proxytype]");
        }

        var parts = text[(eq + 1)..].Split(',');
        if (parts.Length > 2 || parts.Any(p => !IsSpec(p)))
        {
            throw new FormatException($"--register '{text}': '{text[(eq + 1)..]}' is not module:callable[,module:proxytype]");
        }

        return new HostRegistration(text[..eq], parts[0], parts.Length > 1 ? parts[1] : null);
    }

    /// <summary>Whether <paramref name="spec"/> looks like <c>module:qualname</c>.</summary>
    public static bool IsSpec(string spec)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon < spec.Length - 1 && spec.IndexOf(':', colon + 1) < 0;
    }
}
