using System.Globalization;
using Multiprocess.Connection;

namespace Multiprocess.Cli.Commands;

/// <summary>
/// <c>multiprocess echo serve ADDRESS[,ADDRESS...] [--authkey-hex HEX] [--backlog N]</c> and
/// <c>multiprocess echo connect ADDRESS [--authkey-hex HEX]</c>: a peer for interop tests and benchmarks that
/// speaks <c>multiprocessing.connection</c> framing and its authkey handshake, then runs echo sessions
/// (<see cref="RunSession"/>).
/// </summary>
/// <remarks>
/// Addresses: <c>host:port</c>, <c>[v6addr]:port</c>, a path containing <c>/</c> (AF_UNIX), <c>@name</c> (abstract
/// AF_UNIX). Without <c>--authkey-hex</c> no handshake runs; with it (even empty) it always does.
/// Exit status of <c>connect</c>: 0 when the session ended normally, 2 on an authentication failure, 1 on any other
/// error (including an unknown mode name). <c>serve</c> exits 0 on SIGINT/SIGTERM, 1 if it cannot listen.
/// </remarks>
internal sealed partial class EchoCommand : ICommand
{
    private const string Usage =
        "usage: multiprocess echo serve ADDRESS[,ADDRESS...] [--authkey-hex HEX] [--backlog N]\n"
        + "       multiprocess echo connect ADDRESS [--authkey-hex HEX]\n"
        + "ADDRESS: host:port | [v6addr]:port | /path/with/slash | @abstract-name";

    public string Name => "echo";

    public string Summary => "serve or connect multiprocessing.connection echo sessions (interop peer)";

    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }

        if (!TryParseOptions(args, out var options, out var error))
        {
            Console.Error.WriteLine($"multiprocess echo: {error}");
            Console.Error.WriteLine(Usage);
            return 1;
        }

        return args[0] switch
        {
            "serve" => Serve(options),
            "connect" => Connect(options),
            _ => UnknownSubcommand(args[0]),
        };
    }

    private static int UnknownSubcommand(string word)
    {
        Console.Error.WriteLine($"multiprocess echo: unknown subcommand '{word}' (expected serve or connect)");
        Console.Error.WriteLine(Usage);
        return 1;
    }

    private static bool TryParseOptions(string[] args, out Options options, out string error)
    {
        options = new Options([], null, 128);
        error = "";
        string? addressText = null;
        byte[]? key = null;
        var backlog = 128;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--authkey-hex" when i + 1 < args.Length:
                    try
                    {
                        key = Convert.FromHexString(args[++i]);
                    }
                    catch (FormatException)
                    {
                        error = $"--authkey-hex '{args[i]}' is not an even number of hex digits";
                        return false;
                    }

                    break;
                case "--backlog" when i + 1 < args.Length:
                    if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out backlog))
                    {
                        error = $"--backlog '{args[i]}' is not a non-negative number";
                        return false;
                    }

                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    error = $"unknown or incomplete option '{a}'";
                    return false;
                case var a when addressText is null:
                    addressText = a;
                    break;
                default:
                    error = $"unexpected argument '{args[i]}'";
                    return false;
            }
        }

        if (addressText is null)
        {
            error = "missing ADDRESS";
            return false;
        }

        try
        {
            options = new Options(ConnectionAddress.ParseList(addressText), key, backlog);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }

        return true;
    }

    private sealed record Options(IReadOnlyList<ConnectionAddress> Addresses, byte[]? AuthKey, int Backlog);
}
