using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.Shm;
using Multiprocess.Synchronize;
using Multiprocess.TestUtilities;
using Multiprocess.Tests.Shm;
using SyncLock = Multiprocess.Synchronize.Lock;
using SyncSemaphore = Multiprocess.Synchronize.Semaphore;

namespace Multiprocess.Tests.Synchronize;

/// <summary>Segments, lists and locks pickled on one side and unpickled on the other, as CPython's ForkingPickler
/// sends them to spawned children; the rebuilt objects share state with the originals.</summary>
[TestFixture]
public sealed class PickleInteropTests
{
    private const string PicklePrelude = """
        import pickle
        from multiprocessing import context
        from multiprocessing.reduction import ForkingPickler
        def dumps(o):
            context.set_spawning_popen(object())  # SemLocks pickle only while spawning a child
            try:
                return bytes(ForkingPickler.dumps(o)).hex()
            finally:
                context.set_spawning_popen(None)
        def loads(h):
            return pickle.loads(bytes.fromhex(h))
        """;

    private static readonly PyTypeRegistry s_registry = CreateRegistry();

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void SharedMemory_PickledByCSharp_SameBytesAsCPythonAndPythonAttaches(string version)
    {
        using var py = Start(version);
        using var shm = SharedMemory.Create(321, track: false);
        try
        {
            shm.Span[0] = 42;
            var ours = Dumps(shm);
            Assert.That(py.Eval($"dumps(attach('{shm.Name}'))").Trim('\''), Is.EqualTo(ours));
            Assert.That(py.Eval($"(lambda s: (s.name, s.size, s.buf[0]))(loads('{ours}'))"), Is.EqualTo($"('{shm.Name}', 321, 42)"));
        }
        finally
        {
            shm.Unlink();
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void SharedMemoryAndList_PickledByPython_CSharpAttaches(string version)
    {
        using var py = Start(version);
        py.Exec("s = sm.SharedMemory(create=True, size=50); s.buf[49] = 7; sl = sm.ShareableList(['a', 2])");
        try
        {
            using var shm = (SharedMemory)PickleSerializer.Loads(Convert.FromHexString(py.Eval("dumps(s)").Trim('\'')), Options)!;
            Assert.That((shm.Size, shm.Span[49]), Is.EqualTo((50L, (byte)7)));

            var listPickle = Convert.FromHexString(py.Eval("dumps(sl)").Trim('\''));
            using var sl = ShareableList.Rebuild(PickleSerializer.Loads(listPickle), track: false);
            Assert.That(sl.ToList(), Is.EqualTo(new object?[] { "a", 2L }));
            Assert.That(Convert.ToHexStringLower(PickleSerializer.Dumps(sl.Reduce())), Is.EqualTo(Convert.ToHexStringLower(listPickle)),
                "ShareableList pickles to CPython's bytes");
            sl[1] = 3;
            Assert.That(py.Eval("sl[1]"), Is.EqualTo("3"));
        }
        finally
        {
            py.Exec("s.close(); s.unlink(); sl.shm.close(); sl.shm.unlink()");
        }
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void Locks_PickledByPython_RebuiltInCSharp(string version)
    {
        using var py = Start(version);
        py.Exec("lk, rl, bs, ev = ctx.Lock(), ctx.RLock(), ctx.BoundedSemaphore(2), ctx.Event()");
        var objects = new[] { "lk", "rl", "bs", "ev" }
            .Select(n => PickleSerializer.Loads(Convert.FromHexString(py.Eval($"dumps({n})").Trim('\'')), Options))
            .ToArray();
        using var lk = (SyncLock)objects[0]!;
        using var rl = (RLock)objects[1]!;
        using var bs = (BoundedSemaphore)objects[2]!;
        using var ev = (Event)objects[3]!;

        py.Exec("lk.acquire(); rl.acquire(); bs.acquire()");
        Assert.That((lk.Acquire(false), rl.Acquire(false), bs.GetValue(), bs.MaxValue), Is.EqualTo((false, false, 1, 2)));
        py.Exec("lk.release(); rl.release()");
        Assert.That(lk.Acquire(false) && rl.Acquire(false), Is.True);
        Assert.That(ev.IsSet, Is.False);
        py.Exec("ev.set()");
        Assert.That(ev.Wait(TimeSpan.FromSeconds(5)), Is.True);
        lk.Release();
        rl.Release();
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void Locks_PickledByCSharp_RebuiltInPython(string version)
    {
        using var py = Start(version);
        using var lk = new SyncLock(track: false);
        using var se = new SyncSemaphore(3, track: false);
        using var cond = new Condition();
        using var ev = new Event();
        py.Exec($"lk, se, cond, ev = [loads(h) for h in ({Hex(lk)}, {Hex(se)}, {Hex(cond)}, {Hex(ev)})]");
        Assert.That(py.Eval("(type(lk).__name__, type(se).__name__, type(cond).__name__, type(ev).__name__)"),
            Is.EqualTo("('Lock', 'Semaphore', 'Condition', 'Event')"));
        Assert.That(lk.Acquire(), Is.True);
        Assert.That(py.Eval("(lk.acquire(False), se.get_value(), repr(cond))"), Is.EqualTo("(False, 3, '<Condition(<RLock(None, 0)>, 0)>')"));
        py.Begin("r = ev.wait(10)");
        Assert.That(SpinWait.SpinUntil(() => ev.Condition.SleepingCount.GetValue() == 1, TimeSpan.FromSeconds(30)), Is.True, "Python's ev.wait() went to sleep");
        ev.Set();
        py.Wait();
        Assert.That(py.Eval("r"), Is.EqualTo("True"));
        lk.Release();
    }

    [TestCase("3.10")]
    [TestCase("3.13")]
    [TestCase("3.14")]
    public void DillFork_LockAndSegmentPickledBothWays(string version)
    {
        // Debian's multiprocess (the dill-based fork: 0.70.12 on 3.10–3.13, 0.70.19 on 3.14 in the peer root, where the
        // shim folder's links resolve to the root's own package) pickles the same shapes under the name "multiprocess".
        var shim = Path.Combine(EngineCommands.RepoRoot, ".cache", "pyshim", "multiprocess");
        if (!Directory.Exists(Path.Combine(shim, "multiprocess")))
        {
            Assert.Ignore($"multiprocess is not set up in {shim} (scripts/setup.sh)");
        }

        var registry = new PyTypeRegistry();
        SharedObjectReducers.Register(registry, "multiprocess", track: false);
        using var py = PythonRepl.Start(version, environment: new Dictionary<string, string> { ["PYTHONPATH"] = shim });
        py.Exec(PythonPrelude.Code.Replace("multiprocessing", "multiprocess", StringComparison.Ordinal));
        py.Exec(PicklePrelude.Replace("multiprocessing", "multiprocess", StringComparison.Ordinal));
        Assert.That(py.Eval("mp.__name__"), Is.EqualTo("'multiprocess'"));

        using var lk = new SyncLock(track: false);
        using var shm = SharedMemory.Create(16, track: false);
        try
        {
            var lockHex = Convert.ToHexStringLower(PickleSerializer.Dumps(lk, new PickleOptions { Registry = registry }));
            py.Exec($"lk = loads('{lockHex}'); s = loads('{Convert.ToHexStringLower(PickleSerializer.Dumps(shm, new PickleOptions { Registry = registry }))}')");
            Assert.That(py.Eval("(type(lk).__module__, s.size)"), Is.EqualTo("('multiprocess.synchronize', 16)"));
            Assert.That(lk.Acquire(false), Is.True);
            Assert.That(py.Eval("lk.acquire(False)"), Is.EqualTo("False"));
            lk.Release();

            py.Exec("rl = ctx.RLock(); rl.acquire()");
            using var rl = (RLock)PickleSerializer.Loads(Convert.FromHexString(py.Eval("dumps(rl)").Trim('\'')), new UnpickleOptions { Registry = registry })!;
            Assert.That(rl.Acquire(false), Is.False);
            py.Exec("rl.release(); s.close()");
            Assert.That(rl.Acquire(false), Is.True);
            rl.Release();
        }
        finally
        {
            shm.Unlink();
        }
    }

    [Test]
    public void Rebuild_ForkContextLock_ExplainsWhy()
    {
        var noName = PyReduce.NewObj(new PyGlobal("multiprocessing.synchronize", "Lock"), state: PyTuple.Create(1L, 1L, 1L, null));
        var e = Assert.Throws<InvalidDataException>(() => SemLock.Rebuild(noName));
        Assert.That(e!.Message, Does.Contain("fork context"));
        Assert.Throws<InvalidDataException>(() => SharedMemory.Rebuild(PyTuple.Create("psm_x")));
    }

    private static UnpickleOptions Options => new() { Registry = s_registry };

    private static string Dumps(object value) => Convert.ToHexStringLower(PickleSerializer.Dumps(value, new PickleOptions { Registry = s_registry }));

    private static string Hex(object value) => $"'{Dumps(value)}'";

    private static PyTypeRegistry CreateRegistry()
    {
        var registry = new PyTypeRegistry();
        SharedObjectReducers.Register(registry, track: false);
        return registry;
    }

    private static PythonRepl Start(string version)
    {
        var py = PythonRepl.Start(version);
        py.Exec(PythonPrelude.Code);
        py.Exec(PicklePrelude);
        return py;
    }
}
