using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
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
internal static class ServeCommand
{
    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create()
    {
        var o = new ServeOptions();
        var command = new CliCommand("serve", "run a SyncManager server for stock Python clients");
        o.AddTo(command);
        command.SetAction(r => Run(r, o));
        return command;
    }

    private static int Run(ParseResult r, ServeOptions o)
    {
        if (!o.TryBuild(r, out var address, out var key, out var options, out var error))
        {
            return CommandTree.UsageError(r, error);
        }

        // Connections and errors go to stderr, one line each: stdout carries only READY.
        using var logging = StderrLogging.Create();
        options.Logger = logging.CreateLogger("multiprocess.serve");
        using var server = new SyncManagerServer(address, key, options);
        foreach (var spec in r.GetValue(o.Singletons) ?? [])
        {
            var (typeId, of) = (spec[..spec.IndexOf('=', StringComparison.Ordinal)], spec[(spec.IndexOf('=', StringComparison.Ordinal) + 1)..]);
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
}
