using System.Text;
using Multiprocess.Connection;

namespace Multiprocess.Fuzz;

/// <summary>
/// <c>handshake-server</c> and <c>handshake-client</c>: the authkey handshake (Connection/Authentication.cs) against a
/// peer that sends the input. Byte 0 picks the read chunk and whether the synchronous or the asynchronous code runs;
/// the rest is what the peer sends. The server role reads the peer's answer to its challenge (a wrong one ends it);
/// the client role reads a challenge, answers it, reads the verdict, then challenges and verifies the peer's answer,
/// so both the challenge parser and the answer verifier are reached. A handshake that passes with a key the peer
/// cannot know is a finding.
/// </summary>
internal static class HandshakeTargets
{
    private static readonly byte[] s_authKey = Encoding.ASCII.GetBytes("fuzz-key");

    public static FuzzTarget CreateServer() => new("handshake-server", "Authentication.AuthenticateAsServer(Async) against a scripted client", input => Run(input, server: true), ServerSeeds);

    public static FuzzTarget CreateClient() => new("handshake-client", "Authentication.AuthenticateAsClient(Async) against a scripted server", input => Run(input, server: false), ClientSeeds);

    private static void Run(byte[] input, bool server)
    {
        if (input.Length < 1)
        {
            return;
        }

        var chunk = (input[0] & 0x7F) < 96 ? 1 + (input[0] % 32) : int.MaxValue;
        var async = input[0] >= 128;
        using var connection = new Connection.Connection(new ScriptedTransport(input.AsMemory(1), chunk));
        try
        {
            if (async)
            {
                (server ? Authentication.AuthenticateAsServerAsync(connection, s_authKey) : Authentication.AuthenticateAsClientAsync(connection, s_authKey))
                    .AsTask().GetAwaiter().GetResult();
            }
            else if (server)
            {
                Authentication.AuthenticateAsServer(connection, s_authKey);
            }
            else
            {
                Authentication.AuthenticateAsClient(connection, s_authKey);
            }
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return; // a wrong answer or verdict, an end of stream, a frame over 256 bytes or truncated
        }

        // The peer's bytes are fixed before the engine's random challenge exists: no input can answer it.
        throw new FuzzFindingException($"the {(server ? "server" : "client")} role accepted a peer that cannot know the key");
    }

    private static IEnumerable<(string, byte[])> ServerSeeds(string repo)
    {
        // The client's answers to the server's challenge: 3.12+ '{sha256}' + HMAC, 3.8–3.11 a raw 16-byte HMAC-MD5.
        yield return ("sha256-answer", [255, .. Inputs.Frame([.. "{sha256}"u8, .. new byte[32]])]);
        yield return ("md5-answer", [0, .. Inputs.Frame(new byte[16])]);
        yield return ("sha384-answer-async", [200, .. Inputs.Frame([.. "{sha384}"u8, .. new byte[48]])]);
        yield return ("welcome-then-challenge", [255, .. Inputs.Frame([.. "{md5}"u8, .. new byte[16]]), .. Inputs.Frame("#WELCOME#"u8), .. Inputs.Frame(Challenge("sha256"))]);
    }

    private static IEnumerable<(string, byte[])> ClientSeeds(string repo)
    {
        // A 3.12+ server: '#CHALLENGE#{sha256}' + 40 bytes, its verdict, then the answer to the client's challenge.
        yield return ("sha256", [255, .. Inputs.Frame(Challenge("sha256")), .. Inputs.Frame("#WELCOME#"u8), .. Inputs.Frame([.. "{sha256}"u8, .. new byte[32]])]);
        // A 3.8–3.11 server: '#CHALLENGE#' + 20 bytes, answered with a raw HMAC-MD5.
        yield return ("legacy-md5", [7, .. Inputs.Frame([.. "#CHALLENGE#"u8, .. new byte[20]]), .. Inputs.Frame("#WELCOME#"u8), .. Inputs.Frame(new byte[16])]);
        yield return ("sha3_384-async", [200, .. Inputs.Frame(Challenge("sha3_384")), .. Inputs.Frame("#FAILURE#"u8)]);
    }

    private static byte[] Challenge(string digest) => [.. "#CHALLENGE#"u8, .. Encoding.ASCII.GetBytes($"{{{digest}}}"), .. Enumerable.Range(1, 40).Select(i => (byte)(i * 7))];
}
