using Multiprocess.Connection;
using Multiprocess.TestUtilities.Connection;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Connection;

/// <summary>C# Listener ↔ C# Client over every family, sync and async: handshake, wrong keys, addresses, cleanup.</summary>
[TestFixture(SyncOrAsync.Sync)]
[TestFixture(SyncOrAsync.Async)]
public class ListenerClientTests(SyncOrAsync mode)
{
    private static readonly byte[] s_key = "k"u8.ToArray();

    public static IEnumerable<string> Families => ["inet", "inet6", "unix", "abstract"];

    [TestCaseSource(nameof(Families))]
    public async Task AcceptAndConnect_Family_AuthenticateAndExchangeMessages(string family)
    {
        using var listener = new Listener(AddressFor(family), backlog: 4, authKey: s_key);
        var accept = Accept(listener);
        using var client = await Connect(listener.Address, s_key);
        using var server = await accept;

        client.SendBytes("hi"u8);
        Assert.That(server.RecvBytes(), Is.EqualTo("hi"u8.ToArray()));
        server.SendBytes("there"u8);
        Assert.That(client.RecvBytes(), Is.EqualTo("there"u8.ToArray()));
        if (family.StartsWith("inet", StringComparison.Ordinal))
        {
            Assert.That(((SocketTransport)server.Transport).Socket.NoDelay, Is.True);
            Assert.That(((SocketTransport)client.Transport).Socket.NoDelay, Is.True);
            Assert.That(listener.LastAccepted, Is.TypeOf<InetAddress>());
        }
    }

    [Test]
    public void Connect_WrongKey_FailsOnBothSidesWithAuthentication()
    {
        using var listener = new Listener(AddressFor("abstract"), backlog: 4, authKey: s_key);
        var accept = Accept(listener);

        Assert.That(async () => await Connect(listener.Address, "other"u8.ToArray()),
            Throws.TypeOf<AuthenticationException>().With.Message.Contains("#FAILURE#"));
        Assert.That(async () => await accept, Throws.TypeOf<AuthenticationException>().With.Message.Contains("wrong"));
    }

    [Test]
    public async Task Connect_EmptyKeyOnBothSides_RunsTheHandshake()
    {
        using var listener = new Listener(AddressFor("unix"), backlog: 4, authKey: []);
        var accept = Accept(listener);
        using var client = await Connect(listener.Address, []);
        using var server = await accept;
        client.SendBytes([1]);
        Assert.That(server.RecvBytes(), Is.EqualTo(new byte[] { 1 }));
    }

    [Test]
    public void Connect_KeyButListenerWithout_TimesOutInsteadOfHanging()
    {
        // Python 3.8–3.12 Listener(authkey=b'') behaves as "no key": its client waits for a challenge for ever.
        using var listener = new Listener(AddressFor("abstract"), backlog: 4);
        var accept = Accept(listener);
        Assert.That(
            () => mode == SyncOrAsync.Sync
                ? Task.Run(() => Client.Connect(listener.Address, s_key, TimeSpan.FromMilliseconds(200)))
                : Client.ConnectAsync(listener.Address, s_key, TimeSpan.FromMilliseconds(200)).AsTask(),
            Throws.TypeOf<TimeoutException>().With.Message.Contains("challenge"));
        accept.Result.Dispose();
    }

    [Test]
    public void Listener_UnixPath_FileRemovedOnClose()
    {
        var address = (UnixPathAddress)AddressFor("unix");
        var listener = new Listener(address);
        Assert.That(File.Exists(address.Path), Is.True);
        listener.Close();
        listener.Close();

        Assert.That(File.Exists(address.Path), Is.False);
        Assert.That(() => listener.Accept(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Listener_DefaultAddress_IsAUnixPathInPympFolder()
    {
        using var listener = new Listener();
        Assert.That(listener.Address, Is.TypeOf<UnixPathAddress>());
        Assert.That(listener.Address.ToString(), Does.Match("/pymp-[a-z0-9_]{8}/listener-[a-z0-9_]{8}$"));
    }

    [Test]
    public void Listener_InetPortZero_ReportsResolvedPort()
    {
        using var listener = new Listener(new InetAddress("localhost", 0));
        var address = (InetAddress)listener.Address;
        Assert.That(address.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(address.Port, Is.GreaterThan(0));
    }

    [Test]
    public void Listener_PathInUse_ThrowsIOExceptionNamingAddress()
    {
        using var first = new Listener(AddressFor("unix"));
        Assert.That(() => new Listener(first.Address),
            Throws.TypeOf<IOException>().With.Message.Contains(first.Address.ToString()).And.Message.Contains("AF_UNIX"));
    }

    [Test]
    public void Connect_NothingListening_ThrowsIOExceptionNamingAddress()
    {
        var address = new UnixPathAddress($"/tmp/mp-test-nothing-{Guid.NewGuid():N}");
        Assert.That(async () => await Connect(address, null),
            Throws.TypeOf<IOException>().With.Message.Contains(address.Path));
    }

    [Test]
    public void Accept_Timeout_ThrowsTimeoutException()
    {
        using var listener = new Listener(AddressFor("abstract"));
        Assert.That(() => listener.Accept(TimeSpan.FromMilliseconds(50)), Throws.TypeOf<TimeoutException>().With.Message.Contains(listener.Address.ToString()));
    }

    [Test]
    public async Task Listener_CloseWhileAcceptBlocks_UnblocksIt()
    {
        var listener = new Listener(AddressFor("abstract"));
        var accept = Accept(listener);
        await Task.Delay(100);
        listener.Close();

        Assert.That(async () => await accept.WaitAsync(TimeSpan.FromSeconds(5)), Throws.InstanceOf<ObjectDisposedException>());
    }

    private static ConnectionAddress AddressFor(string family) => family switch
    {
        "inet" => new InetAddress("127.0.0.1", 0),
        "inet6" => new InetAddress("::1", 0),
        "unix" => ConnectionAddress.Arbitrary(ConnectionFamily.Unix),
        _ => ConnectionAddress.ArbitraryAbstract(),
    };

    private Task<MpConnection> Accept(Listener listener) => mode == SyncOrAsync.Sync
        ? Task.Run(listener.Accept)
        : listener.AcceptAsync().AsTask();

    private async Task<MpConnection> Connect(ConnectionAddress address, byte[]? key) => mode == SyncOrAsync.Sync
        ? await Task.Run(() => Client.Connect(address, key))
        : await Client.ConnectAsync(address, key);
}
