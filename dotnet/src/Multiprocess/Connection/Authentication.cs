using Multiprocess.Internal;
using static Multiprocess.Connection.AuthenticationMessages;

namespace Multiprocess.Connection;

/// <summary>
/// The authkey handshake of <c>multiprocessing.connection</c> (docs/protocols.md §1.7): mutual HMAC challenge and
/// response, the server challenging first. As challenger this sends the 3.12+ form (<c>{sha256}</c> + 40 random
/// bytes, which 3.8–3.11 peers answer with a raw HMAC-MD5 over all of it); as answerer it handles both the legacy
/// 20-byte challenge (raw HMAC-MD5 reply) and <c>{digest}</c> challenges; as verifier it accepts a 16-byte raw MD5
/// reply or any allowed <c>{digest}</c> reply, compared in constant time.
/// </summary>
/// <remarks>
/// <code>
///    Server (Listener.Accept)                  Client (Client.Connect)
/// 1. DeliverChallenge: send '#CHALLENGE#' + M_s  ─►  AnswerChallenge: receive, check prefix
/// 2.                  receive R_c           ◄─   send R_c = [{d}] HMAC-d(key, M_s)
/// 3.                  verify; send '#WELCOME#' or '#FAILURE#' (then fail)  ─►  receive; anything but '#WELCOME#' fails
/// 4. AnswerChallenge: receive               ◄─   DeliverChallenge: send '#CHALLENGE#' + M_c
/// 5.                  send R_s               ─►  receive R_s, verify
/// 6.                  receive '#WELCOME#'    ◄─   send '#WELCOME#' or '#FAILURE#'
/// </code>
/// This engine's client sends step 4 in the same write as step 2 (<see cref="AuthenticateAsClient"/>), and its server,
/// finding that challenge already there, sends steps 3 and 5 in one write: two round trips instead of three, the same
/// bytes read by each side in the same order, so either end may be Python's.
/// Every receive is limited to 256 bytes (<c>recv_bytes(256)</c>). Failures: a wrong key is
/// <see cref="AuthenticationException"/> on both sides; a peer that closes is <see cref="EndOfStreamException"/>;
/// a truncated frame or a frame above 256 bytes is <see cref="IOException"/>; a silent peer is
/// <see cref="TimeoutException"/> after the handshake timeout (20 s by default, CPython's CONNECTION_TIMEOUT).
/// Each message names what was expected and what came. After a failure the connection should be closed.
/// <para>
/// An empty authkey is a key like any other: the handshake runs whenever a key is given (non-null). That is what
/// Python's <c>Client</c> does on every version and what <c>Listener</c> does from 3.13; a 3.8–3.12
/// <c>Listener(authkey=b'')</c> skips the handshake, so a client with an empty key waits for a challenge that never
/// comes (in Python, for ever; here, until the handshake timeout).
/// </para>
/// </remarks>
public static partial class Authentication
{
    /// <summary>The digest this side asks for as challenger, as CPython 3.12+.</summary>
    public const string DefaultDigest = "sha256";

    /// <summary>Gets the default limit on a whole handshake: 20 s (connection.py CONNECTION_TIMEOUT).</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets the digest names a challenge or response may carry (connection.py _ALLOWED_DIGESTS).</summary>
    public static IReadOnlyList<string> AllowedDigests => AuthenticationMessages.AllowedDigests;

    /// <summary>Challenges the peer and checks its answer (Python's <c>deliver_challenge</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="digestName">The digest to ask for (one of <see cref="AllowedDigests"/>).</param>
    /// <param name="timeout">The limit for this step; null is <see cref="DefaultTimeout"/>, <see cref="Timeout.InfiniteTimeSpan"/> none.</param>
    /// <exception cref="AuthenticationException">The peer's answer is wrong or malformed (it was sent '#FAILURE#').</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The peer did not answer in time.</exception>
    /// <exception cref="ArgumentException"><paramref name="digestName"/> is not allowed.</exception>
    public static void DeliverChallenge(Connection connection, ReadOnlySpan<byte> authKey, string digestName = DefaultDigest, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        DeliverChallenge(connection, authKey, digestName, Deadline.From(timeout ?? DefaultTimeout));
    }

    /// <summary>Answers the peer's challenge (Python's <c>answer_challenge</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="timeout">The limit for this step; null is <see cref="DefaultTimeout"/>, <see cref="Timeout.InfiniteTimeSpan"/> none.</param>
    /// <exception cref="AuthenticationException">The challenge is malformed, or the peer rejected our answer.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The peer did not send its part in time.</exception>
    public static void AnswerChallenge(Connection connection, ReadOnlySpan<byte> authKey, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        AnswerChallenge(connection, authKey, Deadline.From(timeout ?? DefaultTimeout));
    }

    /// <summary>The server's side of the handshake, as <c>Listener.accept()</c> runs it: challenge, then answer.</summary>
    /// <param name="connection">The accepted connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="timeout">The limit for the whole handshake; null is <see cref="DefaultTimeout"/>.</param>
    /// <exception cref="AuthenticationException">The keys differ, or the peer broke the protocol.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    public static void AuthenticateAsServer(Connection connection, ReadOnlySpan<byte> authKey, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var deadline = Deadline.From(timeout ?? DefaultTimeout);
        var message = CreateChallengeMessage(DefaultDigest);
        connection.SendBytes([.. ChallengePrefix, .. message]);                 // '#CHALLENGE#' + {digest} + 40 random
        var response = Receive(connection, deadline, "the response to our challenge");
        try
        {
            VerifyResponse(authKey, message, response);
        }
        catch (AuthenticationException)
        {
            SendFailure(connection);
            throw;
        }

        // A client that sent its challenge right behind its response (this engine's Client) gets the verdict and
        // the answer in one write: it wakes once for both.
        if (connection.HasBufferedInput)
        {
            var challenge = Receive(connection, deadline, "a challenge ('#CHALLENGE#' + message)");
            byte[] answer;
            try
            {
                answer = CreateResponse(authKey, CheckChallenge(challenge));
            }
            catch (AuthenticationException)
            {
                connection.SendBytes(Welcome);  // as Python's server: the verdict first, then the failure to answer
                throw;
            }

            connection.SendBytesPair(Welcome, answer);
            CheckVerdict(Receive(connection, deadline, "'#WELCOME#' or '#FAILURE#'"));
            return;
        }

        connection.SendBytes(Welcome);
        AnswerChallenge(connection, authKey, deadline);
    }

    /// <summary>The client's side of the handshake, as <c>Client()</c> runs it: answer, then challenge.</summary>
    /// <param name="connection">The new connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="timeout">The limit for the whole handshake; null is <see cref="DefaultTimeout"/>.</param>
    /// <exception cref="AuthenticationException">The keys differ, or the peer broke the protocol.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    /// <remarks>
    /// Our challenge goes out right behind our response, in the same write, instead of after the server's verdict:
    /// every server reads it only once it has sent its verdict (Python's <c>deliver_challenge</c> then
    /// <c>answer_challenge</c>), so the bytes each side reads are Python's, and the handshake takes two round trips
    /// instead of three. A server that rejects our response closes with our challenge unread; we read its
    /// '#FAILURE#' first all the same.
    /// </remarks>
    public static void AuthenticateAsClient(Connection connection, ReadOnlySpan<byte> authKey, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var deadline = Deadline.From(timeout ?? DefaultTimeout);
        var challenge = Receive(connection, deadline, "a challenge ('#CHALLENGE#' + message)");
        var response = CreateResponse(authKey, CheckChallenge(challenge));
        var message = CreateChallengeMessage(DefaultDigest);
        connection.SendBytesPair(response, [.. ChallengePrefix, .. message]);
        CheckVerdict(Receive(connection, deadline, "'#WELCOME#' or '#FAILURE#'"));
        var theirs = Receive(connection, deadline, "the response to our challenge");
        AcceptResponse(connection, authKey, message, theirs);
    }

    private static void DeliverChallenge(Connection connection, ReadOnlySpan<byte> authKey, string digestName, long deadline)
    {
        var message = CreateChallengeMessage(digestName);
        connection.SendBytes([.. ChallengePrefix, .. message]);                 // '#CHALLENGE#' + {digest} + 40 random
        AcceptResponse(connection, authKey, message, Receive(connection, deadline, "the response to our challenge"));
    }

    /// <summary>The end of <c>deliver_challenge</c>: '#WELCOME#' for a right response, '#FAILURE#' and the error for a wrong one.</summary>
    private static void AcceptResponse(Connection connection, ReadOnlySpan<byte> authKey, byte[] message, byte[] response)
    {
        try
        {
            VerifyResponse(authKey, message, response);
        }
        catch (AuthenticationException)
        {
            SendFailure(connection);
            throw;
        }

        connection.SendBytes(Welcome);
    }

    private static void AnswerChallenge(Connection connection, ReadOnlySpan<byte> authKey, long deadline)
    {
        var challenge = Receive(connection, deadline, "a challenge ('#CHALLENGE#' + message)");
        var response = CreateResponse(authKey, CheckChallenge(challenge));
        connection.SendBytes(response);
        CheckVerdict(Receive(connection, deadline, "'#WELCOME#' or '#FAILURE#'"));
    }

    /// <summary>answer_challenge's checks on the challenge frame; returns the message after the prefix.</summary>
    private static ReadOnlySpan<byte> CheckChallenge(byte[] challenge)
    {
        if (!challenge.AsSpan().StartsWith(ChallengePrefix))
        {
            throw new AuthenticationException($"Protocol error: expected a challenge starting with '#CHALLENGE#', got {Describe(challenge)}");
        }

        var message = challenge.AsSpan(ChallengePrefix.Length);
        if (message.Length < Md5OnlyMessageLength)
        {
            throw new AuthenticationException($"Challenge too short: expected at least {Md5OnlyMessageLength} bytes after '#CHALLENGE#', got {message.Length}");
        }

        return message;
    }

    private static void CheckVerdict(byte[] verdict)
    {
        if (verdict.AsSpan().SequenceEqual(Welcome))
        {
            return;
        }

        throw new AuthenticationException(verdict.AsSpan().SequenceEqual(Failure)
            ? "Digest sent was rejected: the peer answered '#FAILURE#' (the authkeys differ)"
            : $"Digest sent was rejected: expected '#WELCOME#', got {Describe(verdict)}");
    }

    /// <summary>Tells the peer it failed; it may already be gone, which changes nothing.</summary>
    private static void SendFailure(Connection connection)
    {
        try
        {
            connection.SendBytes(Failure);
        }
        catch (IOException)
        {
        }
    }

    private static byte[] Receive(Connection connection, long deadline, string expected)
    {
        try
        {
            return connection.RecvBytes(MaxFrameLength, Deadline.Remaining(deadline));
        }
        catch (Exception e) when (e is IOException or TimeoutException)
        {
            throw Contextualize(e, expected);
        }
    }

    /// <summary>Adds "during the handshake, waiting for X" to a receive error, keeping its type.</summary>
    private static Exception Contextualize(Exception e, string expected) => e switch
    {
        EndOfStreamException => new EndOfStreamException($"The peer closed the connection during the authentication handshake while we waited for {expected}", e),
        TimeoutException => new TimeoutException($"The authentication handshake timed out waiting for {expected}", e),
        _ => new IOException($"Authentication handshake failed waiting for {expected} (handshake frames are at most {MaxFrameLength} bytes): {e.Message}", e),
    };
}
