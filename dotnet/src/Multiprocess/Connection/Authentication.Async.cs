using static Multiprocess.Connection.AuthenticationMessages;

namespace Multiprocess.Connection;

/// <summary>The asynchronous forms of the handshake; the timeout is a linked cancellation, reported as <see cref="TimeoutException"/>.</summary>
public static partial class Authentication
{
    /// <summary>Challenges the peer and checks its answer, asynchronously (Python's <c>deliver_challenge</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="digestName">The digest to ask for.</param>
    /// <param name="timeout">The limit for this step; null is <see cref="DefaultTimeout"/>, <see cref="Timeout.InfiniteTimeSpan"/> none.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>A task that completes when the peer has been verified.</returns>
    /// <exception cref="AuthenticationException">The peer's answer is wrong or malformed.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The peer did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask DeliverChallengeAsync(Connection connection, ReadOnlyMemory<byte> authKey, string digestName = DefaultDigest, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await RunAsync(timeout, cancellationToken, limit => DeliverCoreAsync(connection, authKey, digestName, limit, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Answers the peer's challenge, asynchronously (Python's <c>answer_challenge</c>).</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="timeout">The limit for this step; null is <see cref="DefaultTimeout"/>, <see cref="Timeout.InfiniteTimeSpan"/> none.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>A task that completes when the peer accepted our answer.</returns>
    /// <exception cref="AuthenticationException">The challenge is malformed, or the peer rejected our answer.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The peer did not send its part in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask AnswerChallengeAsync(Connection connection, ReadOnlyMemory<byte> authKey, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await RunAsync(timeout, cancellationToken, limit => AnswerCoreAsync(connection, authKey, limit, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The server's side of the handshake, asynchronously: challenge, then answer.</summary>
    /// <param name="connection">The accepted connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="timeout">The limit for the whole handshake; null is <see cref="DefaultTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>A task that completes when both sides are verified.</returns>
    /// <exception cref="AuthenticationException">The keys differ, or the peer broke the protocol.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask AuthenticateAsServerAsync(Connection connection, ReadOnlyMemory<byte> authKey, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await RunAsync(timeout, cancellationToken, async limit =>
        {
            await DeliverCoreAsync(connection, authKey, DefaultDigest, limit, cancellationToken).ConfigureAwait(false);
            await AnswerCoreAsync(connection, authKey, limit, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>The client's side of the handshake, asynchronously: answer, then challenge.</summary>
    /// <param name="connection">The new connection.</param>
    /// <param name="authKey">The shared key.</param>
    /// <param name="timeout">The limit for the whole handshake; null is <see cref="DefaultTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>A task that completes when both sides are verified.</returns>
    /// <exception cref="AuthenticationException">The keys differ, or the peer broke the protocol.</exception>
    /// <exception cref="EndOfStreamException">The peer closed the connection.</exception>
    /// <exception cref="IOException">A truncated frame, a frame above 256 bytes, or an OS error.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async ValueTask AuthenticateAsClientAsync(Connection connection, ReadOnlyMemory<byte> authKey, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await RunAsync(timeout, cancellationToken, async limit =>
        {
            await AnswerCoreAsync(connection, authKey, limit, cancellationToken).ConfigureAwait(false);
            await DeliverCoreAsync(connection, authKey, DefaultDigest, limit, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Runs a handshake step under the timeout (a linked cancellation); a send cut off by it is a <see cref="TimeoutException"/> too.</summary>
    private static async ValueTask RunAsync(TimeSpan? timeout, CancellationToken cancellationToken, Func<CancellationToken, ValueTask> step)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var t = timeout ?? DefaultTimeout;
        if (t != Timeout.InfiniteTimeSpan)
        {
            limit.CancelAfter(t < TimeSpan.Zero ? TimeSpan.Zero : t);
        }

        try
        {
            await step(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The authentication handshake did not finish within {t}", e);
        }
    }

    private static async ValueTask DeliverCoreAsync(Connection connection, ReadOnlyMemory<byte> authKey, string digestName, CancellationToken limit, CancellationToken caller)
    {
        var message = CreateChallengeMessage(digestName);
        await connection.SendBytesAsync((byte[])[.. ChallengePrefix, .. message], limit).ConfigureAwait(false);
        var response = await ReceiveAsync(connection, "the response to our challenge", limit, caller).ConfigureAwait(false);
        try
        {
            VerifyResponse(authKey.Span, message, response);
        }
        catch (AuthenticationException)
        {
            try
            {
                await connection.SendBytesAsync(Failure.ToArray(), limit).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                // The peer may be gone already; the verdict stands.
            }

            throw;
        }

        await connection.SendBytesAsync(Welcome.ToArray(), limit).ConfigureAwait(false);
    }

    private static async ValueTask AnswerCoreAsync(Connection connection, ReadOnlyMemory<byte> authKey, CancellationToken limit, CancellationToken caller)
    {
        var challenge = await ReceiveAsync(connection, "a challenge ('#CHALLENGE#' + message)", limit, caller).ConfigureAwait(false);
        var response = CreateResponse(authKey.Span, CheckChallenge(challenge));
        await connection.SendBytesAsync(response, limit).ConfigureAwait(false);
        CheckVerdict(await ReceiveAsync(connection, "'#WELCOME#' or '#FAILURE#'", limit, caller).ConfigureAwait(false));
    }

    private static async ValueTask<byte[]> ReceiveAsync(Connection connection, string expected, CancellationToken limit, CancellationToken caller)
    {
        try
        {
            return await connection.RecvBytesAsync(MaxFrameLength, limit).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw Contextualize(new TimeoutException("The handshake timeout passed", e), expected);
        }
        catch (IOException e)
        {
            throw Contextualize(e, expected);
        }
    }
}
