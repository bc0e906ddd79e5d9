using System.Security.Cryptography;
using System.Text;
using Multiprocess.Connection;
using Multiprocess.TestUtilities.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>
/// Every handshake path against a scripted peer (its own framing and HMAC code), through the synchronous and the
/// asynchronous entry points. The engine side runs on a task; the test thread plays the peer.
/// </summary>
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public partial class AuthenticationTests(SyncOrAsync mode)
{
    private static readonly byte[] s_key = "secret key"u8.ToArray();
    private MpConnection _connection = null!;
    private ScriptedPeer _peer = null!;

    [SetUp]
    public void CreatePeer() => (_connection, _peer) = ScriptedPeer.Create();

    [TearDown]
    public void DisposePeer()
    {
        _connection.Dispose();
        _peer.Dispose();
    }

    // ---- answering (client side first half) ----

    [Test]
    public async Task AnswerChallenge_LegacyTwentyByteChallenge_RepliesRawHmacMd5()
    {
        var task = Answer();
        var message = RandomNumberGenerator.GetBytes(20);
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. message]);

        Assert.That(_peer.ReceiveFrame(), Is.EqualTo(ScriptedPeer.Hmac("md5", s_key, message)));
        _peer.SendFrame("#WELCOME#");
        await task;
    }

    [TestCase("md5")]
    [TestCase("sha256")]
    [TestCase("sha384")]
    [TestCase("sha3_256")]
    [TestCase("sha3_384")]
    public async Task AnswerChallenge_PrefixedChallenge_RepliesPrefixedHmacOverWholeMessage(string digest)
    {
        var task = Answer();
        byte[] message = [.. Encoding.ASCII.GetBytes("{" + digest + "}"), .. RandomNumberGenerator.GetBytes(40)];
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. message]);

        byte[] expected = [.. Encoding.ASCII.GetBytes("{" + digest + "}"), .. ScriptedPeer.Hmac(digest, s_key, message)];
        Assert.That(_peer.ReceiveFrame(), Is.EqualTo(expected));
        _peer.SendFrame("#WELCOME#");
        await task;
    }

    [Test]
    public void AnswerChallenge_NoChallengePrefix_ThrowsAuthenticationNamingWhatCame()
    {
        var task = Answer();
        _peer.SendFrame("#HELLO#0123456789012345678901234");

        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>()
            .With.Message.Contains("expected a challenge starting with '#CHALLENGE#'").And.Message.Contains("#HELLO#"));
    }

    [Test]
    public void AnswerChallenge_ChallengeTooShort_ThrowsAuthentication()
    {
        var task = Answer();
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. new byte[19]]);

        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>()
            .With.Message.Contains("at least 20 bytes").And.Message.Contains("got 19"));
    }

    [TestCase("{sha512}")]
    [TestCase("{sha256")]
    [TestCase("sha256}")]
    [TestCase("{}")]
    public void AnswerChallenge_UnsupportedDigestPrefix_ThrowsAuthentication(string prefix)
    {
        var task = Answer();
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. Encoding.ASCII.GetBytes(prefix), .. new byte[40]]);

        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("unsupported digest"));
    }

    [Test]
    public void AnswerChallenge_PeerAnswersFailure_ThrowsAuthenticationSayingRejected()
    {
        var task = Answer();
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. new byte[20]]);
        _peer.ReceiveFrame();
        _peer.SendFrame("#FAILURE#");

        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("rejected").And.Message.Contains("#FAILURE#"));
    }

    [Test]
    public void AnswerChallenge_PeerAnswersSomethingElse_ThrowsAuthenticationQuotingIt()
    {
        var task = Answer();
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. new byte[20]]);
        _peer.ReceiveFrame();
        _peer.SendFrame("#WELCOME");

        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("expected '#WELCOME#', got 8 bytes b'#WELCOME'"));
    }

    // ---- delivering (server side first half) ----

    [Test]
    public async Task DeliverChallenge_SendsSha256ChallengeAndAcceptsRightAnswer()
    {
        var task = Deliver();
        var challenge = _peer.ReceiveFrame();

        Assert.That(challenge, Has.Length.EqualTo(59));
        Assert.That(Encoding.ASCII.GetString(challenge, 0, 19), Is.EqualTo("#CHALLENGE#{sha256}"));
        var message = challenge[11..];
        _peer.SendFrame([.. "{sha256}"u8.ToArray(), .. ScriptedPeer.Hmac("sha256", s_key, message)]);
        Assert.That(_peer.ReceiveText(), Is.EqualTo("#WELCOME#"));
        await task;
    }

    [TestCase("legacy-md5")]
    [TestCase("md5")]
    [TestCase("sha384")]
    [TestCase("sha3_256")]
    [TestCase("sha3_384")]
    public async Task DeliverChallenge_AnswerWithAnyAllowedDigest_IsWelcomed(string digest)
    {
        var task = Deliver();
        var message = _peer.ReceiveFrame()[11..];
        byte[] answer = digest == "legacy-md5"
            ? ScriptedPeer.Hmac("md5", s_key, message)          // what a 3.8–3.11 client sends: 16 raw bytes
            : [.. Encoding.ASCII.GetBytes("{" + digest + "}"), .. ScriptedPeer.Hmac(digest, s_key, message)];
        _peer.SendFrame(answer);

        Assert.That(_peer.ReceiveText(), Is.EqualTo("#WELCOME#"));
        await task;
    }

    [Test]
    public void DeliverChallenge_WrongKey_SendsFailureAndThrowsAuthentication()
    {
        var task = Deliver();
        var message = _peer.ReceiveFrame()[11..];
        _peer.SendFrame([.. "{sha256}"u8.ToArray(), .. ScriptedPeer.Hmac("sha256", "other key"u8.ToArray(), message)]);

        Assert.That(_peer.ReceiveText(), Is.EqualTo("#FAILURE#"));
        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("Digest received was wrong"));
    }

    [Test]
    public void DeliverChallenge_LegacyAnswerWithWrongKey_SendsFailure()
    {
        var task = Deliver();
        var message = _peer.ReceiveFrame()[11..];
        _peer.SendFrame(ScriptedPeer.Hmac("md5", "other key"u8.ToArray(), message));

        Assert.That(_peer.ReceiveText(), Is.EqualTo("#FAILURE#"));
        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("md5"));
    }

    [Test]
    public void DeliverChallenge_AnswerOfWrongLength_SendsFailureNamingLengths()
    {
        var task = Deliver();
        _peer.ReceiveFrame();
        _peer.SendFrame([.. "{sha256}"u8.ToArray(), .. new byte[31]]);

        Assert.That(_peer.ReceiveText(), Is.EqualTo("#FAILURE#"));
        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("32 bytes, got 31"));
    }

    [Test]
    public void DeliverChallenge_UnprefixedAnswerOfOddLength_SendsFailure()
    {
        var task = Deliver();
        _peer.ReceiveFrame();
        _peer.SendFrame(new byte[32]);

        Assert.That(_peer.ReceiveText(), Is.EqualTo("#FAILURE#"));
        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("32 bytes b'"));
    }

    [Test]
    public void DeliverChallenge_TwentyByteUnprefixedAnswer_IsAnMd5LengthMismatch()
    {
        // connection.py: 20 is a "legacy length", so it is taken as an md5 payload and fails its length check.
        var task = Deliver();
        _peer.ReceiveFrame();
        _peer.SendFrame(new byte[20]);

        Assert.That(_peer.ReceiveText(), Is.EqualTo("#FAILURE#"));
        Assert.That(async () => await task, Throws.TypeOf<AuthenticationException>().With.Message.Contains("md5 digest of 16 bytes, got 20"));
    }

    // ---- transport-level failures during the handshake ----

    [Test]
    public void Handshake_PeerClosesBeforeChallenge_ThrowsEndOfStreamNamingWhatWasAwaited()
    {
        var task = Answer();
        _peer.Close();

        Assert.That(async () => await task, Throws.TypeOf<EndOfStreamException>().With.Message.Contains("a challenge"));
    }

    [Test]
    public void Handshake_PeerClosesBeforeVerdict_ThrowsEndOfStream()
    {
        var task = Answer();
        _peer.SendFrame([.. ScriptedPeer.Challenge, .. new byte[20]]);
        _peer.ReceiveFrame();
        _peer.Close();

        Assert.That(async () => await task, Throws.TypeOf<EndOfStreamException>().With.Message.Contains("'#WELCOME#' or '#FAILURE#'"));
    }

    [Test]
    public void Handshake_TruncatedFrame_ThrowsIOExceptionNotEndOfStream()
    {
        var task = Deliver();
        _peer.ReceiveFrame();
        _peer.SendRaw([0, 0, 0, 40, 1, 2, 3]);
        _peer.Close();

        Assert.That(async () => await task, Throws.TypeOf<IOException>().With.Message.Contains("announced 40 bytes"));
    }

    [Test]
    public void Handshake_FrameAbove256Bytes_ThrowsIOExceptionNamingLimit()
    {
        var task = Answer();
        _peer.SendFrame(new byte[257]);

        Assert.That(async () => await task, Throws.TypeOf<IOException>()
            .With.Message.Contains("257 bytes").And.Message.Contains("at most 256"));
    }

    [Test]
    public void Handshake_ImpossibleLength_ThrowsIOException()
    {
        var task = Answer();
        _peer.SendRaw([0xFF, 0xFF, 0xFF, 0xF0]);

        Assert.That(async () => await task, Throws.TypeOf<IOException>().With.Message.Contains("-16"));
    }

    [Test]
    public void Handshake_SilentPeer_ThrowsTimeoutAfterTheGivenTimeout()
    {
        var task = Answer(TimeSpan.FromMilliseconds(200));

        Assert.That(async () => await task, Throws.TypeOf<TimeoutException>().With.Message.Contains("a challenge"));
    }

    [Test]
    public void Handshake_InfiniteTimeout_WaitsUntilCancelledOrPeerActs()
    {
        // Sync: an infinite timeout waits until the peer acts (here it closes); async: until the token fires.
        if (mode == SyncOrAsync.Sync)
        {
            var task = Task.Run(() => Authentication.AnswerChallenge(_connection, s_key, Timeout.InfiniteTimeSpan));
            Assert.That(task.Wait(200), Is.False);
            _peer.Close();
            Assert.That(async () => await task, Throws.TypeOf<EndOfStreamException>());
            return;
        }

        using var cts = new CancellationTokenSource(200);
        Assert.That(async () => await Authentication.AnswerChallengeAsync(_connection, s_key, Timeout.InfiniteTimeSpan, cts.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void DeliverChallenge_UnknownDigestName_ThrowsArgumentException()
    {
        Assert.That(() => Authentication.DeliverChallenge(_connection, s_key, "sha1"),
            Throws.ArgumentException.With.Message.Contains("'sha1'"));
    }

    private Task Answer(TimeSpan? timeout = null) => mode == SyncOrAsync.Sync
        ? Task.Run(() => Authentication.AnswerChallenge(_connection, s_key, timeout))
        : Authentication.AnswerChallengeAsync(_connection, s_key, timeout).AsTask();

    private Task Deliver() => mode == SyncOrAsync.Sync
        ? Task.Run(() => Authentication.DeliverChallenge(_connection, s_key))
        : Authentication.DeliverChallengeAsync(_connection, s_key).AsTask();
}
