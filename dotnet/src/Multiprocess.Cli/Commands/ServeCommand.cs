using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Multiprocess.Managers.Hosting;
using Multiprocess.Managers.Server;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess serve --address ADDRESS (--authkey-hex HEX | --authkey-file PATH | --authkey-env VAR |
/// --authkey-stdin) [--backlog N] [--verbose] [--no-tcp-quickack] [--spin-us N] [--max-connections N]
/// [--max-handshakes N] [--idle-timeout SECONDS] [--park-after-ms N|never] [--python PY | --no-python]
/// [--flavour F] [--register TYPEID=module:callable[,module:proxytype]]... [--manager module:Class]...
/// [--initializer module:callable [--initargs LITERAL]] [--serializer auto|pickle|xmlrpclib] [--singleton TYPEID=TYPE]...</c>:
/// runs a <see cref="SyncManagerServer"/> that stock Python
/// clients reach with <c>SyncManager(address, authkey).connect()</c>; referents only Python can run (Pool, Barrier
/// actions, registered callables) live in a supervised Python host process (docs/python-host.md).
/// </summary>
/// <remarks>
/// Prints <c>READY &lt;address&gt;</c> on stdout once listening (the bound address, e.g. the port picked for
/// <c>:0</c>), logs connections and errors on stderr, and exits 0 on SIGINT/SIGTERM or when a client calls
/// <c>shutdown</c>; 1 if it cannot listen, 2 for bad arguments. The key is best not put on a command line (which
/// <c>ps</c> shows): <c>--authkey-hex</c> is meant for tests; a file, an environment variable or stdin keep it private.
/// A key file holds the raw bytes, or hex when it starts with <c>hex:</c>.
/// </remarks>
internal sealed class ServeCommand : ICommand
{
    private const string Usage =
        "usage: multiprocess serve --address ADDRESS (--authkey-hex HEX | --authkey-file PATH | --authkey-env VAR | --authkey-stdin)\n"
        + "                          [--backlog N] [--verbose] [--no-tcp-quickack] [--spin-us N] [--no-shared-memory]\n"
        + "                          [--max-connections N] [--max-handshakes N] [--idle-timeout SECONDS] [--park-after-ms N|never]\n"
        + "                          [--python PY | --no-python] [--flavour multiprocessing|multiprocess]\n"
        + "                          [--register TYPEID=module:callable[,module:proxytype]]... [--manager module:Class]...\n"
        + "                          [--initializer module:callable [--initargs PYTHON-LITERAL]]\n"
        + "                          [--serializer auto|pickle|xmlrpclib] [--singleton TYPEID=TYPE]...\n"
        + "--serializer: auto (default) answers each connection in the serializer of its first request\n"
        + "--singleton get_queue=Queue: every manager.get_queue() returns the same Queue\n"
        + "ADDRESS: host:port | [v6addr]:port | /path/with/slash | @abstract-name";

    public string Name => "serve";

    public string Summary => "run a SyncManager server for stock Python clients";

    public int Run(string[] args)
    {
        if (args.Length > 0 && args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (!TryParse(args, out var address, out var key, out var options, out var singletons, out var error))
        {
            Console.Error.WriteLine($"multiprocess serve: {error}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        options.Log = Console.Error;
        using var server = new SyncManagerServer(address, key, options);
        foreach (var (typeId, of) in singletons)
        {
            try
            {
                server.RegisterSingleton(typeId, of);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"multiprocess serve: --singleton {typeId}={of}: {e.Message}");
                return 2;
            }
        }

        try
        {
            server.Start();
        }
        catch (Exception e) when (e is IOException or PythonHostLostException)
        {
            Console.Error.WriteLine($"multiprocess serve: {e.Message}");
            return 1;
        }

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            ThreadPool.QueueUserWorkItem(_ => server.Shutdown());
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        Console.Out.WriteLine("READY " + server.Address);
        Console.Out.Flush();
        server.WaitForShutdown();
        return 0;
    }

    private static bool TryParse(string[] args, out string address, out byte[] key, out SyncManagerServerOptions options,
        out List<(string TypeId, string Of)> singletons, out string error)
    {
        singletons = [];
        address = "";
        key = [];
        options = new SyncManagerServerOptions();
        error = "";
        byte[]? authKey = null;
        var keySources = 0;
        string? python = null;
        var noPython = false;
        var flavour = "multiprocessing";
        var registrations = new List<HostRegistration>();
        var managers = new List<string>();
        string? initializer = null;
        string? initArgs = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            var hasValue = i + 1 < args.Length;
            switch (a)
            {
                case "--address" when hasValue:
                    address = args[++i];
                    break;
                case "--authkey-hex" when hasValue:
                    keySources++;
                    if (!TryHex(args[++i], out authKey))
                    {
                        error = $"--authkey-hex '{args[i]}' is not an even number of hex digits";
                        return false;
                    }

                    break;
                case "--authkey-file" when hasValue:
                    keySources++;
                    var path = args[++i];
                    try
                    {
                        authKey = FromFile(File.ReadAllBytes(path));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        error = $"--authkey-file '{path}': {e.Message}";
                        return false;
                    }

                    break;
                case "--authkey-env" when hasValue:
                    keySources++;
                    var name = args[++i];
                    var value = Environment.GetEnvironmentVariable(name);
                    if (value is null || !TryHex(value, out authKey))
                    {
                        error = $"--authkey-env: the environment variable '{name}' {(value is null ? "is not set" : "is not hex")}";
                        return false;
                    }

                    break;
                case "--authkey-stdin":
                    keySources++;
                    var line = Console.In.ReadLine();
                    if (line is null || !TryHex(line.Trim(), out authKey))
                    {
                        error = "--authkey-stdin: expected one line of hex on stdin";
                        return false;
                    }

                    break;
                case "--backlog" when hasValue:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var backlog))
                    {
                        error = $"--backlog '{args[i]}' is not a non-negative number";
                        return false;
                    }

                    options.Backlog = backlog;
                    break;
                case "--spin-us" when hasValue:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var spin))
                    {
                        error = $"--spin-us '{args[i]}' is not a non-negative number";
                        return false;
                    }

                    options.SpinDuration = TimeSpan.FromMicroseconds(spin);
                    break;
                case "--serializer" when hasValue:
                    switch (args[++i])
                    {
                        case "auto": options.Serializer = null; break;
                        case "pickle": options.Serializer = Managers.Protocol.ManagerSerializer.Pickle; break;
                        case "xmlrpclib": options.Serializer = Managers.Protocol.ManagerSerializer.Xmlrpclib; break;
                        default:
                            error = $"--serializer '{args[i]}' is not one of auto, pickle, xmlrpclib";
                            return false;
                    }

                    break;
                case "--singleton" when hasValue:
                    var pair = args[++i].Split('=', 2);
                    if (pair.Length != 2 || pair[0].Length == 0 || pair[1].Length == 0)
                    {
                        error = $"--singleton '{args[i]}' is not TYPEID=TYPE (e.g. get_queue=Queue)";
                        return false;
                    }

                    singletons.Add((pair[0], pair[1]));
                    break;
                case "--max-connections" when hasValue:
                    if (!TryCount(args[++i], a, out var maxConnections, out error))
                    {
                        return false;
                    }

                    options.MaxConnections = maxConnections;
                    break;
                case "--max-handshakes" when hasValue:
                    if (!TryCount(args[++i], a, out var maxHandshakes, out error))
                    {
                        return false;
                    }

                    options.MaxUnauthenticatedConnections = maxHandshakes;
                    break;
                case "--idle-timeout" when hasValue:
                    if (!double.TryParse(args[++i], NumberStyles.Float, CultureInfo.InvariantCulture, out var idle) || !(idle > 0) || idle > int.MaxValue / 1000)
                    {
                        error = $"--idle-timeout '{args[i]}' is not a positive number of seconds";
                        return false;
                    }

                    options.IdleTimeout = TimeSpan.FromSeconds(idle);
                    break;
                case "--park-after-ms" when hasValue:
                    if (args[++i] == "never")
                    {
                        options.ParkAfter = Timeout.InfiniteTimeSpan;
                    }
                    else if (int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var park))
                    {
                        options.ParkAfter = TimeSpan.FromMilliseconds(park);
                    }
                    else
                    {
                        error = $"--park-after-ms '{args[i]}' is neither a non-negative number of milliseconds nor 'never'";
                        return false;
                    }

                    break;
                case "--verbose":
                    options.Verbose = true;
                    break;
                case "--no-tcp-quickack":
                    options.TcpQuickAck = false;
                    break;
                case "--no-shared-memory":
                    options.SharedMemory = false;
                    break;
                case "--python" when hasValue:
                    python = args[++i];
                    break;
                case "--no-python":
                    noPython = true;
                    break;
                case "--flavour" or "--flavor" when hasValue:
                    flavour = args[++i];
                    if (flavour is not ("multiprocessing" or "multiprocess"))
                    {
                        error = $"--flavour '{flavour}': expected multiprocessing or multiprocess";
                        return false;
                    }

                    break;
                case "--register" when hasValue:
                    try
                    {
                        registrations.Add(HostRegistration.Parse(args[++i]));
                    }
                    catch (FormatException e)
                    {
                        error = e.Message;
                        return false;
                    }

                    break;
                case "--manager" when hasValue:
                    if (!HostRegistration.IsSpec(args[++i]))
                    {
                        error = $"--manager '{args[i]}' is not module:Class";
                        return false;
                    }

                    managers.Add(args[i]);
                    break;
                case "--initializer" when hasValue:
                    initializer = args[++i];
                    if (!HostRegistration.IsSpec(initializer))
                    {
                        error = $"--initializer '{initializer}' is not module:callable";
                        return false;
                    }

                    break;
                case "--initargs" when hasValue:
                    initArgs = args[++i];
                    break;
                default:
                    error = a.StartsWith("--", StringComparison.Ordinal) ? $"unknown or incomplete option '{a}'" : $"unexpected argument '{a}'";
                    return false;
            }
        }

        if (noPython && (python is not null || registrations.Count > 0 || managers.Count > 0 || initializer is not null))
        {
            error = "--no-python excludes --python, --register, --manager and --initializer (they need the Python host)";
            return false;
        }

        if (initArgs is not null && initializer is null)
        {
            error = "--initargs needs --initializer";
            return false;
        }

        if (!noPython)
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
                Flavour = flavour,
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

        if (!Connection.ConnectionAddress.TryParse(address, out _))
        {
            try
            {
                Connection.ConnectionAddress.Parse(address);
            }
            catch (FormatException e)
            {
                error = e.Message;
            }

            return false;
        }

        key = authKey;
        return true;
    }

    private static bool TryCount(string text, string option, out int value, out string error)
    {
        error = "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0)
        {
            return true;
        }

        error = $"{option} '{text}' is not a positive number";
        return false;
    }

    private static bool TryHex(string text, out byte[]? bytes)
    {
        try
        {
            bytes = Convert.FromHexString(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = null;
            return false;
        }
    }

    /// <summary>A key file: raw bytes, or <c>hex:</c> followed by hex digits (trailing whitespace ignored).</summary>
    private static byte[] FromFile(byte[] content)
    {
        var text = Encoding.ASCII.GetString(content);
        return text.StartsWith("hex:", StringComparison.Ordinal) && TryHex(text[4..].Trim(), out var key) ? key! : content;
    }
}
