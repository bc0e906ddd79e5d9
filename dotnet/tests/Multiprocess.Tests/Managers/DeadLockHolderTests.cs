using Multiprocess.Connection;
using Multiprocess.Internal;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.TestUtilities;
using static Multiprocess.Tests.Managers.ManagerTestClient;

namespace Multiprocess.Tests.Managers;

/// <summary>
/// A manager RLock whose owner died (docs/limits.md, "A lock whose holder died"): the server releases it when the
/// owning connection ends and hands it to the waiter; CPython's server would leave it owned by a finished thread.
/// </summary>
public class DeadLockHolderTests
{
    private static readonly byte[] Key = "dead holder key"u8.ToArray();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public void RLockHolderKilled_LockHandedToTheWaiter_ReleaseLogged()
    {
        var log = new StringWriter();
        using var server = new SyncManagerServer("127.0.0.1:0", Key, new SyncManagerServerOptions { Logger = new TextWriterLogger(log) });
        server.Start();
        var inet = (InetAddress)server.BoundAddress;
        using var holder = PythonRepl.Start("3.12");
        holder.Exec($"""
            from multiprocessing.managers import SyncManager
            m = SyncManager(('{inet.Host}', {inet.Port}), authkey=b'dead holder key')
            m.connect()
            rlock = m.RLock()
            assert rlock.acquire() and rlock.acquire()
            """, Patience);
        var ident = holder.Eval("rlock._id", Patience).Trim('\'');
        using var waiter = Proxy(server.BoundAddress, Key, "waiter");
        Assert.That(Request(waiter, ident, "acquire", PyTuple.Create(false)), Is.EqualTo(PyTuple.Create("#RETURN", false)), "held by the live holder");

        // A blocking acquire from another client (its reply comes when the lock is handed over), then the holder dies.
        var acquire = Task.Run(() => Request(waiter, ident, "acquire", PyTuple.Create(true, Patience.TotalSeconds)));
        holder.Kill();
        Assert.That(acquire.Wait(Patience), Is.True, "the waiter's acquire answered");
        Assert.That(acquire.Result, Is.EqualTo(PyTuple.Create("#RETURN", true)));
        Assert.That(Request(waiter, ident, "release"), Is.EqualTo(PyTuple.Create("#RETURN", null)), "the waiter owns it, once (not the dead holder's count 2)");
        Assert.That(Request(waiter, ident, "release")[0], Is.EqualTo("#ERROR"), "released once, so a second release is an error");
        Assert.That(Logged(log), Does.Contain($"ended holding RLock 0x{ident} (count 2)"));
    }

    private static string Logged(StringWriter log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
