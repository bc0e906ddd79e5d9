using Multiprocess.Managers.Client;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// The C# client's 3.14 additions (<c>Set()</c>, <c>Locked()</c>) against the C# server, which answers each client in
/// its own generation (docs/versions.md): a client that pickles with protocol 5 (the default, as 3.14) gets the type id
/// <c>set</c> and <c>locked</c>; one that pickles with protocol 4 (as 3.8–3.13) gets 3.13's names and the client's
/// clear errors.
/// </summary>
public sealed class CSharpServerSince314Tests
{
    private static readonly byte[] s_key = "since-3.14"u8.ToArray();

    [Test]
    public void Protocol5Client_SetAndLocked_Work()
    {
        using var server = Start();
        using var manager = Client(server, protocol: 5);
        using var s = manager.Set(new PySet { "a", 1L });
        s.Update(["b"]);
        Assert.That(s.ToSet().SetEquals(new object?[] { "a", "b", 1L }), Is.True);
        Assert.That(s.Intersection(["a", "z"]).SetEquals(new object?[] { "a" }), Is.True);

        using var l = manager.Lock();
        using var r = manager.RLock();
        Assert.That(l.Locked(), Is.False);
        using (l.Enter())
        using (r.Enter())
        {
            Assert.That(l.Locked(), Is.True);
            Assert.That(Task.Run(() => r.Locked()).Result, Is.True);
        }

        Assert.That(r.Locked(), Is.False);
    }

    [Test]
    public void Protocol4Client_SeesThe313ManagerAndClearErrors()
    {
        using var server = Start();
        using var manager = Client(server, protocol: 4);
        var e = Assert.Throws<NotSupportedException>(() => manager.Set());
        Assert.That(e!.Message, Does.Contain("no type id 'set'").And.Contain("protocol 4"));

        using var l = manager.Lock();
        Assert.That(l.Exposed, Is.EqualTo(new[] { "acquire", "release" }));
        var locked = Assert.Throws<NotSupportedException>(() => l.Locked());
        Assert.That(locked!.Message, Does.Contain("('acquire', 'release')").And.Contain("without 'locked'").And.Contain(server.Address));
        Assert.That(server.NumberOfObjects, Is.EqualTo(1), "the failed create left nothing behind");
    }

    [Test]
    public void PickleProtocol_OutOfRange_IsRejected() =>
        Assert.That(() => new SyncManager("127.0.0.1:1", s_key, new ManagerOptions { PickleProtocol = 6 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("PickleProtocol"));

    private static SyncManagerServer Start()
    {
        var server = new SyncManagerServer("127.0.0.1:0", s_key);
        server.Start();
        return server;
    }

    private static SyncManager Client(SyncManagerServer server, int protocol)
    {
        var manager = new SyncManager(server.BoundAddress, s_key, new ManagerOptions { PickleProtocol = protocol, CallTimeout = TimeSpan.FromSeconds(20) });
        manager.Connect();
        return manager;
    }
}
