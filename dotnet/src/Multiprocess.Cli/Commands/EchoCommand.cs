using System.CommandLine;
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
/// error (including an unknown mode name and a bad command line). <c>serve</c> exits 0 on SIGINT/SIGTERM, 1 if it
/// cannot listen or its command line is bad.
/// </remarks>
internal static partial class EchoCommand
{
    private const string AddressHelp = "host:port | [v6addr]:port | /path/with/slash | @abstract-name";

    /// <summary>Defines the command.</summary>
    /// <returns>The command.</returns>
    public static CliCommand Create()
    {
        var authKey = new Option<byte[]?>("--authkey-hex")
        {
            Description = "run the authkey handshake with this key (hex; may be empty)",
            HelpName = "HEX",
            Arity = ArgumentArity.ExactlyOne,    // one word of hex, although a byte[] would take several
            CustomParser = OptionValues.From<byte[]?>(TryHex, t => $"--authkey-hex '{t}' is not an even number of hex digits"),
        };

        var serveAddresses = Addresses("ADDRESS[,ADDRESS...]", "where to listen, comma-separated: " + AddressHelp);
        var backlog = new Option<int>("--backlog")
        {
            Description = "the listen(2) backlog",
            HelpName = "N",
            DefaultValueFactory = _ => 128,
            CustomParser = OptionValues.From<int>(OptionValues.NonNegative, t => $"--backlog '{t}' is not a non-negative number"),
        };
        var serve = new Command("serve", "accept connections and run echo sessions until SIGINT or SIGTERM") { serveAddresses, authKey, backlog };
        serve.SetAction(r => Serve(new Options(r.GetValue(serveAddresses)!, KeyOrNull(r, authKey), r.GetValue(backlog))));

        var connectAddress = Addresses("ADDRESS", "the server: " + AddressHelp);
        var connect = new Command("connect", "connect and run one echo session") { connectAddress, authKey };
        connect.SetAction(r => Connect(new Options(r.GetValue(connectAddress)!, KeyOrNull(r, authKey), 0)));

        return new CliCommand("echo", "serve or connect multiprocessing.connection echo sessions (interop peer)", usageStatus: 1) { serve, connect };
    }

    private static Argument<IReadOnlyList<ConnectionAddress>> Addresses(string name, string description) => new Argument<IReadOnlyList<ConnectionAddress>>(name)
    {
        Description = description,
        Arity = ArgumentArity.ExactlyOne,    // one word (a comma-separated list), not a collection of words
        CustomParser = result =>
        {
            try
            {
                return ConnectionAddress.ParseList(result.Tokens[0].Value);
            }
            catch (FormatException e)
            {
                result.AddError(e.Message);
                return [];
            }
        },
    }.NotAnOption();

    /// <summary>The key, or null when <c>--authkey-hex</c> was not given (then no handshake runs; an empty key runs one).</summary>
    private static byte[]? KeyOrNull(ParseResult r, Option<byte[]?> authKey) => r.GetResult(authKey) is null ? null : r.GetValue(authKey);

    private static bool TryHex(string text, out byte[]? bytes)
    {
        var ok = OptionValues.Hex(text, out var key);
        bytes = key;
        return ok;
    }

    private sealed record Options(IReadOnlyList<ConnectionAddress> Addresses, byte[]? AuthKey, int Backlog);
}
