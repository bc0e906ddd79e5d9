using Multiprocess.Connection;
using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

public sealed partial class SyncManagerClientTests
{
    [Test]
    public void Connect_RightKey_StateIsStarted()
    {
        using var manager = new SyncManager(_server.Address, s_authKey, Options(peer.Library));
        Assert.That(manager.State, Is.EqualTo(ManagerState.Initial));
        manager.Connect();
        Assert.That(manager.State, Is.EqualTo(ManagerState.Started));
    }

    [Test]
    public void Connect_WrongAuthKey_ThrowsAuthenticationException()
    {
        using var manager = new SyncManager(_server.Address, "wrong"u8.ToArray(), Options(peer.Library));
        Assert.That(manager.Connect, Throws.InstanceOf<AuthenticationException>());
    }

    [Test]
    public void Create_BeforeConnect_ThrowsInvalidOperationException()
    {
        using var manager = new SyncManager(_server.Address, s_authKey, Options(peer.Library));
        Assert.That(() => manager.Dict(), Throws.InvalidOperationException.With.Message.Contains("Connect"));
    }

    [Test]
    public void Create_TypeIdNotRegisteredHere_ThrowsArgumentException()
    {
        Assert.That(() => _manager.Create("no_such_type"), Throws.ArgumentException.With.Message.Contains("no_such_type"));
    }

    [Test]
    public void Create_TypeIdUnknownToManager_ThrowsRemoteExceptionWithKeyError()
    {
        using var manager = NewClient();
        manager.Register("no_such_type");
        var e = Assert.Throws<RemoteException>(() => manager.Create("no_such_type"));
        Assert.That(e!.Message, Does.Contain("KeyError: 'no_such_type'"));
        Assert.That(e.RemoteTraceback, Does.Contain("Traceback"));
    }

    [Test]
    public void Create_IteratorTypeId_ThrowsInvalidOperationException()
    {
        Assert.That(() => _manager.Create("Iterator"), Throws.InvalidOperationException.With.Message.Contains("createMethod"));
    }

    [Test]
    public void BaseManager_RegisteredCallable_QueueSharedBetweenClients()
    {
        // The docs' remote-manager example: QueueManager.register('get_queue', callable=lambda: queue).
        using var first = new BaseManager(_server.Address, s_authKey, Options(peer.Library));
        first.Register("get_queue", a => new QueueProxy(a));
        first.Connect();
        using var second = new BaseManager(_server.Address, s_authKey, Options(peer.Library));
        second.Register("get_queue");
        second.Connect();

        using var q1 = first.Create<QueueProxy>("get_queue");
        using var q2 = (AutoProxy)second.Create("get_queue");
        q1.Put("hello");
        Assert.That(q2.Call("get", true, 5.0), Is.EqualTo("hello"));
        Assert.That(q2.Exposed, Does.Contain("put").And.Contain("get_nowait"));
    }

    [Test]
    public void DebugInfo_AfterCreate_ListsObjectWithRefcountOne()
    {
        using var d = _manager.Dict();
        Assert.That(_manager.DebugInfo(), Does.Contain($"{d.Token.Id}:       refcount=1"));
    }

    [Test]
    public void Dispatch_UnknownPublicFunction_ThrowsRemoteException()
    {
        var e = Assert.Throws<RemoteException>(() => _manager.Dispatch("no_such_function"));
        Assert.That(e!.Message, Does.Contain("'no_such_function' unrecognized"));
    }

    [Test]
    public void Token_OfCreatedProxy_HasManagerAddressAndHexId()
    {
        using var d = _manager.Dict();
        Assert.Multiple(() =>
        {
            Assert.That(d.Token.TypeId, Is.EqualTo("dict"));
            Assert.That(d.Token.Address, Is.EqualTo(_server.Address));
            Assert.That(d.Token.Id, Does.Match("^[0-9a-f]+$"));
            Assert.That(d.ToString(), Does.StartWith("<DictProxy object, typeid 'dict' at 0x"));
        });
    }

    [Test]
    public async Task ConnectAsync_CreateAsync_CallMethodAsync_Work()
    {
        await using var manager = new SyncManager(_server.Address, s_authKey, Options(peer.Library));
        await manager.ConnectAsync();
        await using var d = await manager.CreateAsync<DictProxy>("dict");
        await d.SetItemAsync("a", 1L);
        Assert.That(await d.GetItemAsync("a"), Is.EqualTo(1L));
        Assert.That(await d.CountAsync(), Is.EqualTo(1));
        Assert.That(await manager.NumberOfObjectsAsync(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void PooledConnections_ManyThreads_AllCallsSucceed()
    {
        using var manager = NewClient(ManagerConnectionMode.Pooled);
        using var l = manager.List();
        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => l.Append((long)i));
        Assert.That(l.ToList().Cast<long>().Order(), Is.EqualTo(Enumerable.Range(0, 40).Select(i => (long)i)));
    }

    [Test]
    public async Task AsyncCalls_Concurrent_EachGetsItsReply()
    {
        using var d = _manager.Dict();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => d.SetItemAsync((long)i, i * 10L).AsTask()));
        var values = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => d.GetItemAsync((long)i).AsTask()));
        Assert.That(values, Is.EqualTo(Enumerable.Range(0, 20).Select(i => (object)(i * 10L))));
    }

    [Test]
    public void ParsedAddress_SameAsServerAddress()
    {
        Assert.That(ConnectionAddress.Parse(_server.Address.ToString()), Is.EqualTo(_server.Address));
    }
}
