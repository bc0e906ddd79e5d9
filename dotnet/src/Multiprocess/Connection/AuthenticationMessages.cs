using System.Security.Cryptography;
using System.Text;
using Multiprocess.Internal;

namespace Multiprocess.Connection;

/// <summary>
/// The pure half of the authkey handshake (connection.py, docs/protocols.md §1.7): building challenges, computing and
/// checking responses. No I/O; <see cref="Authentication"/> moves the messages.
/// </summary>
internal static class AuthenticationMessages
{
    /// <summary>connection.py MESSAGE_LENGTH (3.12+): random bytes after the <c>{digest}</c> prefix.</summary>
    public const int MessageLength = 40;

    /// <summary>The challenge length of 3.8–3.11 and multiprocess 0.70 (raw HMAC-MD5 protocol).</summary>
    public const int Md5OnlyMessageLength = 20;

    /// <summary>The length of a raw HMAC-MD5 response.</summary>
    public const int Md5DigestLength = 16;

    /// <summary>Every handshake receive is <c>recv_bytes(256)</c>: longer frames fail it.</summary>
    public const int MaxFrameLength = 256;

    /// <summary>connection.py _ALLOWED_DIGESTS.</summary>
    public static readonly IReadOnlyList<string> AllowedDigests = ["md5", "sha256", "sha384", "sha3_256", "sha3_384"];

    /// <summary>connection.py _MAX_DIGEST_LEN: the longest allowed name (sha3_256).</summary>
    private const int MaxDigestNameLength = 8;

    public static ReadOnlySpan<byte> ChallengePrefix => "#CHALLENGE#"u8;

    public static ReadOnlySpan<byte> Welcome => "#WELCOME#"u8;

    public static ReadOnlySpan<byte> Failure => "#FAILURE#"u8;

    /// <summary>deliver_challenge: <c>{digest_name}</c> + 40 random bytes (the MAC covers the prefix too).</summary>
    /// <exception cref="ArgumentException"><paramref name="digestName"/> is not an allowed digest.</exception>
    public static byte[] CreateChallengeMessage(string digestName)
    {
        if (!AllowedDigests.Contains(digestName))
        {
            throw new ArgumentException($"Digest '{digestName}' is not one of {string.Join(", ", AllowedDigests)}", nameof(digestName));
        }

        var prefix = "{" + digestName + "}";
        var message = new byte[prefix.Length + MessageLength];
        Encoding.ASCII.GetBytes(prefix, message);
        SystemRandom.Fill(message.AsSpan(prefix.Length));               // {name} + 40 random bytes (os.urandom)
        return message;
    }

    /// <summary>
    /// connection.py _get_digest_name_and_payload: a 16- or 20-byte message is legacy (digest "", all payload);
    /// otherwise it must start with <c>{name}</c>, the <c>}</c> within the first 10 bytes, name allowed.
    /// </summary>
    /// <exception cref="AuthenticationException">Neither form.</exception>
    public static (string Digest, int PayloadOffset) GetDigestNameAndPayload(ReadOnlySpan<byte> message)
    {
        if (message.Length is Md5OnlyMessageLength or Md5DigestLength)
        {
            return ("", 0);
        }

        if (message.Length > 0 && message[0] == (byte)'{')
        {
            // message.find(b'}', 1, _MAX_DIGEST_LEN + 2)
            var window = message[1..Math.Min(message.Length, MaxDigestNameLength + 2)];
            var curly = window.IndexOf((byte)'}');
            if (curly > 0)
            {
                var name = Encoding.ASCII.GetString(window[..curly]);
                if (AllowedDigests.Contains(name))
                {
                    return (name, curly + 2);
                }
            }
        }

        throw new AuthenticationException(
            $"Unsupported message length, missing digest prefix, or unsupported digest: expected 16 or 20 bytes, or '{{name}}' with name one of {string.Join(", ", AllowedDigests)}; got {Describe(message)}");
    }

    /// <summary>
    /// connection.py _create_response: a legacy (16/20-byte) challenge gets the raw HMAC-MD5; a prefixed one gets
    /// <c>{name}</c> + HMAC-name over the whole challenge message.
    /// </summary>
    /// <exception cref="AuthenticationException">The challenge is malformed or its digest is not available here.</exception>
    public static byte[] CreateResponse(ReadOnlySpan<byte> authKey, ReadOnlySpan<byte> message)
    {
        var (digest, _) = GetDigestNameAndPayload(message);
        if (digest.Length == 0)
        {
            return Hmac("md5", authKey, message);
        }

        var prefix = "{" + digest + "}";
        var mac = Hmac(digest, authKey, message);
        var response = new byte[prefix.Length + mac.Length];
        Encoding.ASCII.GetBytes(prefix, response);
        mac.CopyTo(response, prefix.Length);                              // {name} + MAC
        return response;
    }

    /// <summary>
    /// connection.py _verify_challenge: the response names its digest (16/20 bytes unprefixed ⇒ md5), and its MAC
    /// must equal HMAC-digest(key, message), compared in constant time.
    /// </summary>
    /// <exception cref="AuthenticationException">The response is malformed, of the wrong length, or wrong.</exception>
    public static void VerifyResponse(ReadOnlySpan<byte> authKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> response)
    {
        var (digest, offset) = GetDigestNameAndPayload(response);
        digest = digest.Length == 0 ? "md5" : digest;
        var mac = response[offset..];
        var expected = Hmac(digest, authKey, message);
        if (expected.Length != mac.Length)
        {
            throw new AuthenticationException($"Expected a {digest} digest of {expected.Length} bytes, got {mac.Length} bytes");
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            throw new AuthenticationException($"Digest received was wrong: the peer's {digest} HMAC does not match ours (different authkeys)");
        }
    }

    /// <summary>HMAC with one of the allowed digests.</summary>
    /// <exception cref="AuthenticationException">The digest is not available on this platform (SHA-3 needs OpenSSL 1.1.1+).</exception>
    public static byte[] Hmac(string digest, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => digest switch
    {
        "md5" => ManagedHmac.HmacMd5(key, data),           // not OpenSSL: see ManagedHmac
        "sha256" => ManagedHmac.HmacSha256(key, data),
        "sha384" => HMACSHA384.HashData(key, data),
        "sha3_256" when HMACSHA3_256.IsSupported => HMACSHA3_256.HashData(key, data),
        "sha3_384" when HMACSHA3_384.IsSupported => HMACSHA3_384.HashData(key, data),
        _ => throw new AuthenticationException($"Digest '{digest}' is not supported on this platform"),
    };

    /// <summary>A short printable form of a handshake message for error texts: length and (up to 64) bytes, Python-repr style.</summary>
    public static string Describe(ReadOnlySpan<byte> message)
    {
        var shown = message[..Math.Min(message.Length, 64)];
        var text = new StringBuilder($"{message.Length} bytes b'");
        foreach (var b in shown)
        {
            text.Append(b is >= 0x20 and < 0x7f and not (byte)'\'' and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        text.Append(message.Length > shown.Length ? "'..." : "'");
        return text.ToString();
    }
}
