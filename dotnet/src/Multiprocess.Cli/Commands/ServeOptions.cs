using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Protocol;
using Multiprocess.Managers.Server;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// The options of <c>multiprocess serve</c>: each value checked as it is parsed (its error names the option and the
/// value); what depends on several options, or on a file, the environment or stdin, checked by <see cref="TryBuild"/>.
/// </summary>
internal sealed class ServeOptions
{
    public Option<string?> Address { get; } = new("--address")
    {
        Description = "where to listen: host:port | [v6addr]:port | /path/with/slash | @abstract-name (port 0: any)",
        HelpName = "ADDRESS",
    };

    public Option<byte[]?> AuthKeyHex { get; } = new("--authkey-hex")
    {
        Description = "the authkey as hex (visible in ps: meant for tests)",
        HelpName = "HEX",
        Arity = ArgumentArity.ExactlyOne,    // one word of hex, although a byte[] would take several
        CustomParser = OptionValues.From<byte[]?>(TryHex, t => $"--authkey-hex '{t}' is not an even number of hex digits"),
    };

    public Option<string?> AuthKeyFile { get; } = new("--authkey-file")
    {
        Description = "read the authkey from a file: raw bytes, or hex after 'hex:'",
        HelpName = "PATH",
    };

    public Option<string?> AuthKeyEnv { get; } = new("--authkey-env") { Description = "read the authkey (hex) from an environment variable", HelpName = "VAR" };

    public Option<bool> AuthKeyStdin { get; } = new("--authkey-stdin") { Description = "read the authkey (one line of hex) from stdin" };

    public Option<int?> Backlog { get; } = new("--backlog")
    {
        Description = "the listen(2) backlog (default 128)",
        HelpName = "N",
        CustomParser = OptionValues.From<int?>(TryNonNegative, t => $"--backlog '{t}' is not a non-negative number"),
    };

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "log every request" };

    public Option<bool> NoTcpQuickAck { get; } = new("--no-tcp-quickack") { Description = "leave delayed ACKs on (TCP)" };

    public Option<int?> SpinMicroseconds { get; } = new("--spin-us")
    {
        Description = "spin this long for the next request before blocking",
        HelpName = "N",
        CustomParser = OptionValues.From<int?>(TryNonNegative, t => $"--spin-us '{t}' is not a non-negative number"),
    };

    public Option<bool> NoSharedMemory { get; } = new("--no-shared-memory") { Description = "refuse SharedMemoryManager's segment requests" };

    public Option<int?> MaxConnections { get; } = Count("--max-connections", "connections served at once; more are refused");

    public Option<int?> MaxHandshakes { get; } = Count("--max-handshakes", "connections in their handshake at once");

    public Option<TimeSpan?> IdleTimeout { get; } = new("--idle-timeout")
    {
        Description = "close a connection idle this long",
        HelpName = "SECONDS",
        CustomParser = OptionValues.From<TimeSpan?>(TrySeconds, t => $"--idle-timeout '{t}' is not a positive number of seconds"),
    };

    public Option<TimeSpan?> ParkAfter { get; } = new Option<TimeSpan?>("--park-after-ms")
    {
        Description = "hand an idle connection's thread back after this long",
        HelpName = "N|never",
        CustomParser = OptionValues.From<TimeSpan?>(TryPark, t => $"--park-after-ms '{t}' is neither a non-negative number of milliseconds nor 'never'"),
    }.Completing("never");

    public Option<string?> Python { get; } = new("--python") { Description = "the Python of the host process (default: python3 on PATH)", HelpName = "PY" };

    public Option<bool> NoPython { get; } = new("--no-python") { Description = "no Python host: referents only C# can run" };

    public Option<string> Flavour { get; } = new Option<string>("--flavour", "--flavor")
    {
        Description = "the host's package",
        HelpName = "multiprocessing|multiprocess",
        DefaultValueFactory = _ => "multiprocessing",
        CustomParser = OptionValues.From<string>(TryFlavour, t => $"--flavour '{t}': expected multiprocessing or multiprocess"),
    }.Completing("multiprocessing", "multiprocess");

    public Option<string[]> Registrations { get; } = Repeated("--register", "TYPEID=module:callable[,module:proxytype]", "a type the Python host serves");

    public Option<string[]> Managers { get; } = Repeated("--manager", "module:Class", "serve the types a BaseManager subclass registers");

    public Option<string?> Initializer { get; } = new("--initializer") { Description = "run in the Python host before it serves", HelpName = "module:callable" };

    public Option<string?> InitArgs { get; } = new("--initargs") { Description = "the initializer's arguments (a Python literal, or pickle:HEX)", HelpName = "PYTHON-LITERAL" };

    public Option<ManagerSerializer?> Serializer { get; } = new Option<ManagerSerializer?>("--serializer")
    {
        Description = "auto (default) answers each connection in the serializer of its first request",
        HelpName = "auto|pickle|xmlrpclib",
        CustomParser = OptionValues.From<ManagerSerializer?>(TrySerializer, t => $"--serializer '{t}' is not one of auto, pickle, xmlrpclib"),
    }.Completing("auto", "pickle", "xmlrpclib");

    public Option<string[]> Singletons { get; } = Repeated("--singleton", "TYPEID=TYPE", "e.g. get_queue=Queue: every manager.get_queue() returns the same Queue");

    /// <summary>Adds the options to <paramref name="command"/>, with the checks of a single value.</summary>
    /// <param name="command">The <c>serve</c> command.</param>
    public void AddTo(Command command)
    {
        Option[] all =
        [
            Address, AuthKeyHex, AuthKeyFile, AuthKeyEnv, AuthKeyStdin, Backlog, Verbose, NoTcpQuickAck, SpinMicroseconds,
            NoSharedMemory, MaxConnections, MaxHandshakes, IdleTimeout, ParkAfter, Python, NoPython, Flavour,
            Registrations, Managers, Initializer, InitArgs, Serializer, Singletons,
        ];
        foreach (var option in all)
        {
            command.Add(option);
        }

        Registrations.Validators.Add(r => Each(r, text =>
        {
            try
            {
                HostRegistration.Parse(text);
                return null;
            }
            catch (FormatException e)
            {
                return e.Message;
            }
        }));
        Managers.Validators.Add(r => Each(r, t => HostRegistration.IsSpec(t) ? null : $"--manager '{t}' is not module:Class"));
        Initializer.Validators.Add(r => Each(r, t => HostRegistration.IsSpec(t) ? null : $"--initializer '{t}' is not module:callable"));
        Singletons.Validators.Add(r => Each(r, t => t.Split('=', 2) is [{ Length: > 0 }, { Length: > 0 }]
            ? null
            : $"--singleton '{t}' is not TYPEID=TYPE (e.g. get_queue=Queue)"));
    }

    /// <summary>The server's address, key and options from a parsed command line, or the error that stops it.</summary>
    /// <param name="r">The parse result.</param>
    /// <param name="address">The address to listen on.</param>
    /// <param name="key">The authkey.</param>
    /// <param name="options">The server options.</param>
    /// <param name="error">What is wrong, naming the option.</param>
    /// <returns>Whether the server can start.</returns>
    public bool TryBuild(ParseResult r, out string address, out byte[] key, out SyncManagerServerOptions options, out string error)
    {
        address = r.GetValue(Address) ?? "";
        key = [];
        options = new SyncManagerServerOptions();
        if (!TryReadKey(r, out var authKey, out var keySources, out error))
        {
            return false;
        }

        options.Backlog = r.GetValue(Backlog) ?? options.Backlog;
        options.SpinDuration = r.GetValue(SpinMicroseconds) is { } spin ? TimeSpan.FromMicroseconds(spin) : options.SpinDuration;
        options.MaxConnections = r.GetValue(MaxConnections) ?? options.MaxConnections;
        options.MaxUnauthenticatedConnections = r.GetValue(MaxHandshakes) ?? options.MaxUnauthenticatedConnections;
        options.IdleTimeout = r.GetValue(IdleTimeout) ?? options.IdleTimeout;
        options.ParkAfter = r.GetValue(ParkAfter) ?? options.ParkAfter;
        options.Verbose = r.GetValue(Verbose);
        options.TcpQuickAck = !r.GetValue(NoTcpQuickAck);
        options.SharedMemory = !r.GetValue(NoSharedMemory);
        if (r.GetResult(Serializer) is not null)
        {
            options.Serializer = r.GetValue(Serializer);
        }

        var python = r.GetValue(Python);
        var registrations = (r.GetValue(Registrations) ?? []).Select(HostRegistration.Parse).ToList();
        var managers = (r.GetValue(Managers) ?? []).ToList();
        var initializer = r.GetValue(Initializer);
        var initArgs = r.GetValue(InitArgs);
        if (r.GetValue(NoPython) && (python is not null || registrations.Count > 0 || managers.Count > 0 || initializer is not null))
        {
            error = "--no-python excludes --python, --register, --manager and --initializer (they need the Python host)";
            return false;
        }

        if (initArgs is not null && initializer is null)
        {
            error = "--initargs needs --initializer";
            return false;
        }

        if (!r.GetValue(NoPython))
        {
            python ??= PythonHostOptions.FindOnPath();
            if (python is null)
            {
                error = "no python3 or python on PATH for the Python host: give --python PY, or --no-python";
                return false;
            }

            options.PythonHost = new PythonHostOptions
            {
                Executable = python,
                Flavour = r.GetValue(Flavour)!,
                Registrations = registrations,
                Managers = managers,
                Initializer = initializer,
                InitArgs = initArgs,
            };
        }

        if (address.Length == 0)
        {
            error = "missing --address";
            return false;
        }

        if (keySources != 1 || authKey is null)
        {
            error = keySources == 0 ? "missing the key: give one of --authkey-hex, --authkey-file, --authkey-env, --authkey-stdin" : "give only one --authkey-* option";
            return false;
        }

        try
        {
            Connection.ConnectionAddress.Parse(address);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }

        key = authKey;
        return true;
    }

    /// <summary>The key from whichever of the four sources was given (stdin, a file, the environment are read here).</summary>
    private bool TryReadKey(ParseResult r, out byte[]? key, out int sources, out string error)
    {
        key = null;
        sources = 0;
        error = "";
        if (r.GetResult(AuthKeyHex) is not null)
        {
            sources++;
            key = r.GetValue(AuthKeyHex);
        }

        if (r.GetValue(AuthKeyFile) is { } path)
        {
            sources++;
            try
            {
                key = FromFile(File.ReadAllBytes(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"--authkey-file '{path}': {e.Message}";
                return false;
            }
        }

        if (r.GetValue(AuthKeyEnv) is { } name)
        {
            sources++;
            var value = Environment.GetEnvironmentVariable(name);
            if (value is null || !OptionValues.Hex(value, out var fromEnv))
            {
                error = $"--authkey-env: the environment variable '{name}' {(value is null ? "is not set" : "is not hex")}";
                return false;
            }

            key = fromEnv;
        }

        if (r.GetValue(AuthKeyStdin))
        {
            sources++;
            var line = Console.In.ReadLine();
            if (line is null || !OptionValues.Hex(line.Trim(), out var fromStdin))
            {
                error = "--authkey-stdin: expected one line of hex on stdin";
                return false;
            }

            key = fromStdin;
        }

        return true;
    }

    private static Option<int?> Count(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = OptionValues.From<int?>(TryPositive, t => $"{name} '{t}' is not a positive number"),
    };

    private static Option<string[]> Repeated(string name, string helpName, string description) => new(name)
    {
        Description = description + " (repeatable)",
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,    // one value per occurrence: --register A --register B
    };

    /// <summary>Checks every value of a repeatable option; the first bad one is the error.</summary>
    private static void Each(OptionResult result, Func<string, string?> check)
    {
        foreach (var token in result.Tokens)
        {
            if (check(token.Value) is { } error)
            {
                result.AddError(error);
                return;
            }
        }
    }

    private static bool TryHex(string text, out byte[]? bytes)
    {
        var ok = OptionValues.Hex(text, out var key);
        bytes = key;
        return ok;
    }

    private static bool TryNonNegative(string text, out int? value)
    {
        var ok = OptionValues.NonNegative(text, out var n);
        value = n;
        return ok;
    }

    private static bool TryPositive(string text, out int? value) => TryNonNegative(text, out value) && value > 0;

    private static bool TrySeconds(string text, out TimeSpan? value)
    {
        var ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= int.MaxValue / 1000;
        value = ok ? TimeSpan.FromSeconds(seconds) : null;
        return ok;
    }

    private static bool TryPark(string text, out TimeSpan? value)
    {
        value = text == "never" ? Timeout.InfiniteTimeSpan
            : OptionValues.NonNegative(text, out var ms) ? TimeSpan.FromMilliseconds(ms)
            : null;
        return value is not null;
    }

    private static bool TryFlavour(string text, out string value)
    {
        value = text;
        return text is "multiprocessing" or "multiprocess";
    }

    private static bool TrySerializer(string text, out ManagerSerializer? value)
    {
        value = text switch
        {
            "pickle" => ManagerSerializer.Pickle,
            "xmlrpclib" => ManagerSerializer.Xmlrpclib,
            _ => null,
        };
        return text is "auto" or "pickle" or "xmlrpclib";
    }

    /// <summary>A key file: raw bytes, or <c>hex:</c> followed by hex digits (trailing whitespace ignored).</summary>
    private static byte[] FromFile(byte[] content)
    {
        var text = Encoding.ASCII.GetString(content);
        return text.StartsWith("hex:", StringComparison.Ordinal) && OptionValues.Hex(text[4..].Trim(), out var key) ? key : content;
    }
}
