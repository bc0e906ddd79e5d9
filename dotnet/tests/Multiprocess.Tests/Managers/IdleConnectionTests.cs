using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using static Multiprocess.Tests.Managers.ManagerTestClient;
using MpConnection = Multiprocess.Connection.Connection;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// Idle proxy connections are parked on one epoll thread (<see cref="SyncManagerServerOptions.ParkAfter"/>) and
/// served again when their next request comes; a call that blocks keeps its own thread and holds up no one else.
/// </summary>
public class IdleConnectionTests
{
    private static readonly byte[] Key = "idle key"u8.ToArray();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public void ManyIdleProxies_AllParked_EachServedAgain_AndParkedAgain()
    {
        using var server = Start(TimeSpan.FromMilliseconds(20));
        var dict = Create(server.BoundAddress, Key, "dict");
        var proxies = new List<MpConnection>();
        try
        {
            for (var i = 0; i < 100; i++)
            {
                proxies.Add(Proxy(server.BoundAddress, Key, $"client {i}"));
            }

            WaitFor(() => server.ParkedConnections == 100, "all 100 idle proxy connections parked");
            for (var i = 0; i < proxies.Count; i++)
            {
                Assert.That(Request(proxies[i], dict, "__setitem__", PyTuple.Create((long)i, $"v{i}")), Is.EqualTo(PyTuple.Create("#RETURN", null)));
            }

            for (var i = 0; i < proxies.Count; i++)
            {
                Assert.That(Request(proxies[i], dict, "__getitem__", PyTuple.Create((long)(proxies.Count - 1 - i))), Is.EqualTo(PyTuple.Create("#RETURN", $"v{proxies.Count - 1 - i}")));
            }

            WaitFor(() => server.ParkedConnections == 100, "parked again after their requests");
            Assert.That(server.ActiveConnections, Is.EqualTo(100));
        }
        finally
        {
            proxies.ForEach(p => p.Close());
        }

        WaitFor(() => server.ParkedConnections == 0 && server.ActiveConnections == 0, "hung-up parked connections closed and counted gone");
    }

    [Test]
    public void BlockedGet_WaitsOnItsOwnThread_WhileParkedProxiesServeThePut()
    {
        using var server = Start(TimeSpan.FromMilliseconds(20));
        var queue = Create(server.BoundAddress, Key, "Queue");
        using var getter = Proxy(server.BoundAddress, Key, "getter");
        using var putter = Proxy(server.BoundAddress, Key, "putter");
        using var other = Proxy(server.BoundAddress, Key, "other");
        WaitFor(() => server.ParkedConnections == 3, "three idle proxies parked");

        var get = Task.Run(() => Request(getter, queue, "get", PyTuple.Create(true, 15.0)));
        WaitFor(() => server.ParkedConnections == 2, "the getter taken up, blocked in get()");

        // A blocked call keeps its thread and is not parked. The clock: 'other' is served, then parks again after
        // ParkAfter of silence; by then the getter, silent for longer, would have been parked too.
        Assert.That(Request(other, queue, "qsize"), Is.EqualTo(PyTuple.Create("#RETURN", 0L)));
        WaitFor(() => server.ParkedConnections >= 2, "'other' parked again after its request");
        Assert.That(server.ParkedConnections, Is.EqualTo(2), "putter and other parked, the blocked getter not");
        Assert.That(Request(putter, queue, "put", PyTuple.Create("item")), Is.EqualTo(PyTuple.Create("#RETURN", null)));
        Assert.That(get.Wait(Patience), Is.True);
        Assert.That(get.Result, Is.EqualTo(PyTuple.Create("#RETURN", "item")));
    }

    [Test]
    public void Shutdown_ClosesParkedConnections()
    {
        var server = Start(TimeSpan.FromMilliseconds(10));
        using var proxy = Proxy(server.BoundAddress, Key);
        WaitFor(() => server.ParkedConnections == 1, "the proxy parked");
        server.Dispose();
        Assert.That(() => proxy.RecvBytes(null, Patience), Throws.InstanceOf<EndOfStreamException>());
        Assert.That(server.ActiveConnections, Is.Zero);
    }

    [Test]
    public void ParkAfterInfinite_KeepsAThreadPerConnection_NothingParked()
    {
        using var server = Start(Timeout.InfiniteTimeSpan);
        var dict = Create(server.BoundAddress, Key, "dict");
        using var proxy = Proxy(server.BoundAddress, Key);

        // The clock: a proxy of a server that parks after 20 ms, connected after ours, parks; ours would have by then.
        using var reference = Start(TimeSpan.FromMilliseconds(20));
        using var referenceProxy = Proxy(reference.BoundAddress, Key);
        WaitFor(() => reference.ParkedConnections == 1, "the reference server's proxy parked");
        Assert.That(server.ParkedConnections, Is.Zero);
        Assert.That(Request(proxy, dict, "__len__"), Is.EqualTo(PyTuple.Create("#RETURN", 0L)));
    }

    private static SyncManagerServer Start(TimeSpan parkAfter)
    {
        var server = new SyncManagerServer($"@idle-test-{Environment.ProcessId}-{Guid.NewGuid():N}", Key, new SyncManagerServerOptions { ParkAfter = parkAfter });
        server.Start();
        return server;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {Patience.TotalSeconds} s: {what}");
            }

            Thread.Sleep(5);
        }
    }
}
