using Multiprocess.Connection;

namespace Multiprocess.Tests.Connection;

[TestFixture]
public class ConnectionAddressTests
{
    [TestCase("127.0.0.1:5000", ConnectionFamily.Inet, "127.0.0.1:5000")]
    [TestCase("localhost:0", ConnectionFamily.Inet, "localhost:0")]
    [TestCase(":80", ConnectionFamily.Inet, ":80")]
    [TestCase("[::1]:8080", ConnectionFamily.Inet6, "[::1]:8080")]
    [TestCase("[fe80::1%2]:1", ConnectionFamily.Inet6, "[fe80::1%2]:1")]
    [TestCase("/tmp/x.sock", ConnectionFamily.Unix, "/tmp/x.sock")]
    [TestCase("./rel/sock", ConnectionFamily.Unix, "./rel/sock")]
    [TestCase("@name", ConnectionFamily.Unix, "@name")]
    [TestCase("@with:colon/and/slash", ConnectionFamily.Unix, "@with:colon/and/slash")]
    public void Parse_TextForm_RoundTrips(string text, ConnectionFamily family, string formatted)
    {
        var address = ConnectionAddress.Parse(text);

        Assert.That(address.Family, Is.EqualTo(family));
        Assert.That(address.ToString(), Is.EqualTo(formatted));
        Assert.That(ConnectionAddress.Parse(address.ToString()), Is.EqualTo(address));
    }

    [Test]
    public void Parse_Forms_GiveTheRightTypes()
    {
        Assert.That(ConnectionAddress.Parse("h:1"), Is.EqualTo(new InetAddress("h", 1)));
        Assert.That(ConnectionAddress.Parse("[::1]:2"), Is.EqualTo(new InetAddress("::1", 2)));
        Assert.That(ConnectionAddress.Parse("/p"), Is.EqualTo(new UnixPathAddress("/p")));
        Assert.That(ConnectionAddress.Parse("@n"), Is.EqualTo(new UnixAbstractAddress("n")));
    }

    [TestCase("", "empty")]
    [TestCase("hostonly", "no ':port'")]
    [TestCase("host:99999", "99999")]
    [TestCase("host:-1", "'-1'")]
    [TestCase("host:", "''")]
    [TestCase("::1:80", "brackets")]
    [TestCase("[::1]80", "']:'")]
    [TestCase("[1.2.3.4]:80", "not an IPv6 address")]
    public void Parse_BadText_ThrowsFormatExceptionQuotingIt(string text, string problem)
    {
        Assert.That(() => ConnectionAddress.Parse(text),
            Throws.TypeOf<FormatException>().With.Message.Contains($"'{text}'").And.Message.Contains(problem));
        Assert.That(ConnectionAddress.TryParse(text, out _), Is.False);
    }

    [Test]
    public void ParseList_CommaSeparated_KeepsOrder()
    {
        var list = ConnectionAddress.ParseList("127.0.0.1:0,/tmp/a,@b,[::1]:0");
        Assert.That(list.Select(a => a.Family), Is.EqualTo(new[] { ConnectionFamily.Inet, ConnectionFamily.Unix, ConnectionFamily.Unix, ConnectionFamily.Inet6 }));
    }

    [Test]
    public void UnixPath_RelativeWithoutSlash_FormatsWithDotSlash()
    {
        Assert.That(new UnixPathAddress("sock").ToString(), Is.EqualTo("./sock"));
    }

    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Arbitrary_Families_FollowCPythonDefaults()
    {
        Assert.That(ConnectionAddress.Arbitrary(ConnectionFamily.Inet), Is.EqualTo(new InetAddress("localhost", 0)));
        Assert.That(ConnectionAddress.Arbitrary(ConnectionFamily.Inet6), Is.EqualTo(new InetAddress("::1", 0)));

        var unix = (UnixPathAddress)ConnectionAddress.Arbitrary(ConnectionFamily.Unix);
        Assert.That(unix.Path, Does.Match(@"/pymp-[a-z0-9_]{8}/listener-[a-z0-9_]{8}$"));
        var folder = Path.GetDirectoryName(unix.Path)!;
        Assert.That(File.GetUnixFileMode(folder), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        Assert.That(Path.GetDirectoryName(((UnixPathAddress)ConnectionAddress.Arbitrary(ConnectionFamily.Unix)).Path), Is.EqualTo(folder));
    }

    [Test]
    public void ArbitraryAbstract_IsMultiprocessStyleAndCounts()
    {
        var first = ConnectionAddress.ArbitraryAbstract();
        var second = ConnectionAddress.ArbitraryAbstract();

        Assert.That(first.Name, Does.Match($"^listener-{Environment.ProcessId}-[0-9]+$"));
        Assert.That(int.Parse(second.Name.Split('-')[2], System.Globalization.CultureInfo.InvariantCulture),
            Is.EqualTo(int.Parse(first.Name.Split('-')[2], System.Globalization.CultureInfo.InvariantCulture) + 1));
    }
}
