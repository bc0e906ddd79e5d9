using System.Globalization;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>
/// A rabbitmq-server of this test run, isolated from any other on the machine: its own node name, AMQP and
/// distribution ports, Erlang port mapper (epmd, started here on a free port and stopped here), HOME (Erlang cookie),
/// mnesia and log directories. Boots in ~10–30 s, so one per test run. A missing rabbitmq-server is a failure.
/// </summary>
public sealed class RabbitServer : IDisposable
{
    private const string Launcher = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private readonly ChildProcess _epmd;
    private readonly string _directory;
    private readonly Dictionary<string, string> _environment;
    private ChildProcess _server;

    private RabbitServer(ChildProcess epmd, ChildProcess server, string directory, int port, Dictionary<string, string> environment)
    {
        _epmd = epmd;
        _server = server;
        _directory = directory;
        _environment = environment;
        Port = port;
    }

    /// <summary>Gets the AMQP port.</summary>
    public int Port { get; }

    /// <summary>Gets the pid of the Erlang VM running the node (from RabbitMQ's pid file), 0 when it has none.</summary>
    public int Pid =>
        File.Exists(Path.Combine(_directory, "rabbit.pid")) && int.TryParse(File.ReadAllText(Path.Combine(_directory, "rabbit.pid")).Trim(), CultureInfo.InvariantCulture, out var beam) ? beam : 0;

    /// <summary>Gets the broker URL (kombu's spelling of the vhost <c>/</c>).</summary>
    public string Url => $"amqp://guest:guest@127.0.0.1:{Port}//";

    /// <summary>Starts a server and waits until it accepts connections.</summary>
    /// <returns>The server.</returns>
    /// <exception cref="InvalidOperationException">It is not installed or does not start; the message says why.</exception>
    public static RabbitServer Start()
    {
        if (!File.Exists(Launcher))
        {
            throw new InvalidOperationException($"{Launcher} is missing: run scripts/setup.sh as root (apt package rabbitmq-server)");
        }

        var epmdExe = Directory.GetDirectories("/usr/lib/erlang", "erts-*").Select(d => Path.Combine(d, "bin", "epmd")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("epmd (erlang-base) not found under /usr/lib/erlang/erts-*/bin");
        var dir = RedisServer.CreateDirectory("rabbit");
        var port = RedisServer.FreePort();
        var distPort = RedisServer.FreePort();
        var epmdPort = RedisServer.FreePort();
        string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
        var epmd = ChildProcess.Start(epmdExe, ["-port", Text(epmdPort), "-address", "127.0.0.1"]);
        var env = new Dictionary<string, string>
        {
            ["HOME"] = dir,
            ["ERL_EPMD_PORT"] = Text(epmdPort),
            ["RABBITMQ_NODENAME"] = $"mptest{Environment.ProcessId}x{Text(port)}@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Text(port),
            ["RABBITMQ_DIST_PORT"] = Text(distPort),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_PID_FILE"] = Path.Combine(dir, "rabbit.pid"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dir, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(dir, "advanced.config"),
        };
        var server = ChildProcess.Start(Launcher, [], env, dir);
        var rabbit = new RabbitServer(epmd, server, dir, port, env);
        try
        {
            WaitStarted(server);
        }
        catch (InvalidOperationException)
        {
            rabbit.Dispose();
            throw;
        }

        return rabbit;
    }

    /// <summary>
    /// Restarts the node as an operator would: SIGTERM to the Erlang VM by its pid (RabbitMQ closes every connection
    /// and requeues unacknowledged deliveries; durable queues and persistent messages stay in mnesia), then the same
    /// node again on the same ports and directories.
    /// </summary>
    /// <returns>The pid of the node that was stopped.</returns>
    /// <exception cref="InvalidOperationException">It does not come back; the message says why.</exception>
    public int Restart()
    {
        var stopped = StopNode();
        _server.Dispose();
        _server = ChildProcess.Start(Launcher, [], _environment, _directory);
        WaitStarted(_server);
        return stopped;
    }

    /// <summary>Stops the node (SIGTERM to the Erlang VM by its pid), then epmd, and deletes the directory.</summary>
    public void Dispose()
    {
        StopNode();
        _server.Dispose();
        _epmd.Dispose();
        RedisServer.DeleteDirectory(_directory);
    }

    private static void WaitStarted(ChildProcess server)
    {
        try
        {
            server.WaitForLine("Server startup complete", TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"rabbitmq-server did not start: {e.Message}", e);
        }
    }

    // The launcher script execs the Erlang VM, whose pid RabbitMQ writes to its pid file.
    private int StopNode()
    {
        var pidFile = Path.Combine(_directory, "rabbit.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var beam))
        {
            try
            {
                using var vm = System.Diagnostics.Process.GetProcessById(beam);
                _ = Kill(beam, 15);
                if (!vm.WaitForExit(30_000))
                {
                    vm.Kill();
                }
            }
            catch (ArgumentException)
            {
                // Already gone.
            }

            File.Delete(pidFile);
            return beam;
        }

        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
