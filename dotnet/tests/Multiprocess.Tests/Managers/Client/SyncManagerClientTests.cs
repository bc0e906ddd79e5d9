using Multiprocess.Managers.Client;
using Multiprocess.Managers.Client.Proxies;
using Multiprocess.Managers.Protocol;
using Multiprocess.Pickle;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// The C# manager client against real Python managers: every CPython 3.8–3.14 over AF_INET and AF_UNIX, and
/// Debian's multiprocess (0.70.12 on 3.10–3.13, 0.70.19 on 3.14 in the peer root) over its abstract sockets. One manager process per fixture; every call has
/// a 20 s call timeout, so a broken peer fails the test instead of hanging it.
/// </summary>
[TestFixtureSource(typeof(ManagerPeer), nameof(ManagerPeer.All))]
[Parallelizable(ParallelScope.Fixtures)]
public sealed partial class SyncManagerClientTests(ManagerPeer peer)
{
    private const string AuthKey = "secret-key";
    private static readonly byte[] s_authKey = System.Text.Encoding.ASCII.GetBytes(AuthKey);

    private PythonManagerServer _server = null!;
    private SyncManager _manager = null!;

    private static ManagerOptions Options(ManagerLibrary library, ManagerConnectionMode mode = ManagerConnectionMode.PerThread) => new()
    {
        Library = library,
        ConnectionMode = mode,
        CallTimeout = TimeSpan.FromSeconds(20),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    [OneTimeSetUp]
    public void StartServer()
    {
        _server = PythonManagerServer.Start(peer, AuthKey);
        _manager = NewClient();
    }

    [OneTimeTearDown]
    public void StopServer()
    {
        _manager?.Dispose();
        _server?.Dispose();
    }

    /// <summary>A connected SyncManager client with the test type ids registered.</summary>
    private SyncManager NewClient(ManagerConnectionMode mode = ManagerConnectionMode.PerThread)
    {
        var manager = new SyncManager(_server.Address, s_authKey, Options(peer.Library, mode));
        manager.Register("get_queue", a => new QueueProxy(a));
        manager.Register("Inspector");
        manager.Connect();
        return manager;
    }

    private AutoProxy Inspector() => (AutoProxy)_manager.Create("Inspector");

    /// <summary>Runs <paramref name="body"/> and checks the manager holds as many objects afterwards as before.</summary>
    private void AssertNoLeak(Action body)
    {
        var before = SettledObjectCount();
        body();
        Assert.That(_manager.NumberOfObjects(), Is.EqualTo(before), "number_of_objects after the test");
    }

    /// <summary>number_of_objects once the decrefs of proxies that earlier tests dropped (finalizers) have landed.</summary>
    private long SettledObjectCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(DecrefWorker.Drain(TimeSpan.FromSeconds(10)), Is.True, "finalizer decrefs still pending");
        return _manager.NumberOfObjects();
    }

    private static PyException? PythonError(Exception e) => e.GetPythonException();

    /// <summary>
    /// Whether the manager can rebuild an AutoProxy of its own objects: 3.8's and multiprocess 0.70.12's AutoProxy
    /// lack the manager_owned argument RebuildProxy passes (TypeError), for Python clients as for this one.
    /// </summary>
    private bool ManagerRebuildsAutoProxies => !peer.IsMultiprocess && peer.Version != "3.8";
}
