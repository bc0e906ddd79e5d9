using System.Security.Cryptography;
using System.Text;
using Multiprocess.Connection;
using Multiprocess.Internal;

namespace Multiprocess.Tests.Connection;

/// <summary>The handshake's own HMAC-MD5/HMAC-SHA256 (no OpenSSL): RFC vectors, and .NET's (OpenSSL) results on random input.</summary>
public class ManagedHmacTests
{
    [TestCase("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "9294727a3638bb1c13f48ef8158bfc9d")]                  // RFC 2202 1
    [TestCase("4a656665", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738")]                          // RFC 2202 2
    public void Md5MatchesRfc2202(string keyHex, string data, string macHex) =>
        Assert.That(Convert.ToHexStringLower(ManagedHmac.HmacMd5(Convert.FromHexString(keyHex), Encoding.ASCII.GetBytes(data))), Is.EqualTo(macHex));

    [TestCase("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]  // RFC 4231 1
    [TestCase("4a656665", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]             // RFC 4231 2
    public void Sha256MatchesRfc4231(string keyHex, string data, string macHex) =>
        Assert.That(Convert.ToHexStringLower(ManagedHmac.HmacSha256(Convert.FromHexString(keyHex), Encoding.ASCII.GetBytes(data))), Is.EqualTo(macHex));

    [Test]
    public void MatchesOpenSslOnRandomKeysAndMessages()
    {
        var random = new Random(12345);
        foreach (var keyLength in (int[])[0, 1, 31, 32, 63, 64, 65, 131])
        {
            foreach (var dataLength in (int[])[0, 1, 40, 55, 56, 57, 63, 64, 65, 119, 120, 300])
            {
                var key = new byte[keyLength];
                var data = new byte[dataLength];
                random.NextBytes(key);
                random.NextBytes(data);
                Assert.That(ManagedHmac.HmacMd5(key, data), Is.EqualTo(HMACMD5.HashData(key, data)), $"md5 key {keyLength} data {dataLength}");
                Assert.That(ManagedHmac.HmacSha256(key, data), Is.EqualTo(HMACSHA256.HashData(key, data)), $"sha256 key {keyLength} data {dataLength}");
            }
        }
    }

    [Test]
    public void SystemRandomFillsAndDraws()
    {
        var a = SystemRandom.GetBytes(40);
        var b = SystemRandom.GetBytes(40);
        Assert.That(a, Is.Not.EqualTo(b));
        var name = SystemRandom.GetString("abc", 64);
        Assert.That(name, Has.Length.EqualTo(64).And.Matches("^[abc]+$"));
        Assert.That(name.Distinct().Count(), Is.EqualTo(3));
    }
}
