using System.Net;
using System.Net.Sockets;

namespace Multiprocess.Celery.Tests.Support;

/// <summary>
/// A redis-server of this test run: a free loopback port, its own directory, no persistence; stopped by pid.
/// A missing redis-server is a failure that says how to install it.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private RedisServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    /// <summary>Gets the port.</summary>
    public int Port { get; }

    /// <summary>Gets the server's pid.</summary>
    public int Pid => _process.Pid;

    /// <summary>Gets the URL of database <paramref name="db"/>.</summary>
    /// <param name="db">The database.</param>
    /// <returns><c>redis://127.0.0.1:PORT/db</c>.</returns>
    public string Url(int db = 0) => $"redis://127.0.0.1:{Port}/{db}";

    /// <summary>Starts a server.</summary>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">redis-server is not installed or does not start.</exception>
    public static RedisServer Start()
    {
        var exe = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: run scripts/setup.sh as root (apt package redis-server)");
        var dir = CreateDirectory("redis");
        var port = FreePort();
        var process = ChildProcess.Start(exe, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning"]);
        var server = new RedisServer(process, dir, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(50);
            }
            catch (SocketException)
            {
                server.Dispose();
                throw new InvalidOperationException($"redis-server on port {port} did not start; output:\n{process.Tail()}");
            }
        }
    }

    /// <summary>Gets a loopback port nobody listens on now.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public void Dispose()
    {
        _process.Dispose();
        DeleteDirectory(_directory);
    }

    /// <summary>
    /// Creates a server's directory, <c>/tmp/mp-celery-KIND-PID-XXXXXX</c>, first deleting those a run that is gone
    /// (its pid no longer alive) could not delete itself (killed, or aborted by a hang timeout).
    /// </summary>
    /// <param name="kind">redis or rabbit.</param>
    /// <returns>The new directory.</returns>
    internal static string CreateDirectory(string kind)
    {
        var prefix = $"mp-celery-{kind}-";
        foreach (var stale in Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*"))
        {
            var rest = Path.GetFileName(stale)[prefix.Length..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(rest[..dash], System.Globalization.CultureInfo.InvariantCulture, out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                DeleteDirectory(stale);
            }
        }

        return Directory.CreateTempSubdirectory($"{prefix}{Environment.ProcessId}-").FullName;
    }

    /// <summary>Deletes a server's directory; one that cannot be deleted now is left for <see cref="CreateDirectory"/>.</summary>
    /// <param name="directory">The directory.</param>
    internal static void DeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{directory} not deleted: {e.Message}");
        }
    }
}
