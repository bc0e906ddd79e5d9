using System.Globalization;
using Multiprocess.Internal;
using Multiprocess.Pickle;
using Multiprocess.Reduction;
using Multiprocess.SharedCTypes;
using Multiprocess.Synchronize;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.SharedCTypes;

/// <summary>Value/Array/RawValue/RawArray pickled as CPython's ForkingPickler pickles them for a spawned child
/// (<c>rebuild_ctype(type, BufferWrapper, length)</c>, <c>synchronized(obj, lock)</c>, the arena as
/// <c>rebuild_arena(size, _DupFd)</c>), byte for byte, and CPython's pickles rebuilt over the same memory.</summary>
[TestFixture]
public sealed class SharedCTypesPickleTests
{
    // A stand-in for the spawning Popen: DupFd(fd) becomes popen_spawn_posix._DupFd(FD), FD chosen by the test.
    private const string Prelude = """
        import ctypes, os
        from multiprocessing import context, heap, popen_spawn_posix, reduction, resource_tracker, sharedctypes
        resource_tracker.register = resource_tracker.unregister = lambda *a, **k: None
        ctx = context._default_context.get_context('spawn')
        class Popen:
            DupFd = popen_spawn_posix._DupFd
            def __init__(self, fd):
                self.fd = fd
            def duplicate_for_child(self, fd):
                return self.fd
        def dumps(o, fd):
            context.set_spawning_popen(Popen(fd))
            try:
                return bytes(reduction.ForkingPickler.dumps(o)).hex()  # the version's default protocol, as spawn writes
            finally:
                context.set_spawning_popen(None)
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    // 3.8–3.13 and 3.14 (the peer root, entered by scripts/peer-run.sh: same pid namespace, fds inherited).
    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void RawObjects_PickledByCSharp_SameBytesAsCPythonAndPythonSharesTheMemory(string version)
    {
        // Both sides start from a fresh heap: the first arena is one page, the value at [0, 8), the array at [8, 24).
        var heap = new Heap();
        using var value = new RawValue<int>(CType.Parse("i"), 7, heap);
        using var array = new RawArray<double>(CType.Parse("d"), 2, heap);
        array.AsSpan()[0] = 1.5;
        array.AsSpan()[1] = 2.5;
        var fd = value.Wrapper.Block.Arena.Fd;
        var popen = new SpawningPopen();
        byte[] ours;
        using (popen.Enter())
        {
            ours = PickleSerializer.Dumps(PyTuple.Create(value, array), new PickleOptions { Registry = ForkingPickler.GetRegistry(), Protocol = PythonInterpreters.DefaultPickleProtocol(version) });
        }

        Assert.That(popen.Fds, Is.EqualTo(new[] { fd }), "the arena's fd goes to the child at its own number");
        using var py = PythonRepl.Start(version, inheritFds: [fd]);
        py.Exec(Prelude);
        py.Exec("heap.BufferWrapper._heap = heap.Heap()\nv = sharedctypes.RawValue('i', 7)\na = sharedctypes.RawArray('d', [1.5, 2.5])");
        Assert.That(py.Eval($"dumps((v, a), {fd})").Trim('\''), Is.EqualTo(Convert.ToHexStringLower(ours)));

        // The child's view: the same memory, both ways.
        py.Exec($"import pickle\nrv, ra = pickle.loads(bytes.fromhex('{Convert.ToHexStringLower(ours)}'))");
        Assert.That(py.Eval("(type(rv).__name__, rv.value, type(ra).__name__, ra[:])"), Is.EqualTo("('c_int', 7, 'c_double_Array_2', [1.5, 2.5])"));
        py.Exec("rv.value = -5; ra[1] = 9.25");
        Assert.That((value.Value, array[1]), Is.EqualTo((-5, 9.25)));
    }

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void ValueAndArray_PickledByCPython_ArriveAsSharedViewsWithTheSameLock(string version)
    {
        using var py = PythonRepl.Start(version);
        py.Exec(Prelude);
        py.Exec("v = ctx.Value('i', 41); a = ctx.Array('d', [0.5, 1.5, 2.5]); c = ctx.RawArray('c', b'xyz')");
        var pythonFd = int.Parse(py.Eval("v.get_obj()._wrapper._state[0][0].fd"), CultureInfo.InvariantCulture);

        // Stand in for the fd passing: open the Python arena's unlinked file through /proc, then let the pickle name
        // that fd.
        var pid = int.Parse(py.Eval("os.getpid()"), CultureInfo.InvariantCulture); // the pid Python reports (py.Pid is the same since peer-run.sh execs, but bwrap forks)
        var fd = LibcShm.Open($"/proc/{pid}/fd/{pythonFd}", LibcShm.O_RDWR | LibcShm.O_CLOEXEC, 0);
        Assert.That(fd, Is.GreaterThanOrEqualTo(0));
        var bytes = Convert.FromHexString(py.Eval($"dumps((v, a, c), {fd})").Trim('\''));
        var items = (PyTuple)PickleSerializer.Loads(bytes, new UnpickleOptions { Registry = ForkingPickler.GetRegistry() })!;
        var value = (SharedValue<int>)items[0]!;
        var array = (SharedArray<double>)items[1]!;
        var chars = (RawArray<byte>)items[2]!;
        Assert.Multiple(() =>
        {
            Assert.That(value.Value, Is.EqualTo(41));
            Assert.That(array.ToArray(), Is.EqualTo(new[] { 0.5, 1.5, 2.5 }));
            Assert.That(chars.ToArray(), Is.EqualTo("xyz"u8.ToArray()));
            Assert.That(value.Lock, Is.InstanceOf<RLock>());
            Assert.That(value.Lock.Name, Is.EqualTo(py.Eval("v.get_lock()._semlock.name").Trim('\'')));
            Assert.That(ReferenceEquals(value.Raw.Wrapper.Block.Arena, array.Raw.Wrapper.Block.Arena), Is.True, "one arena, mapped once");
            Assert.That(value.Raw.Wrapper.IsOwner, Is.False);
        });

        using (value.EnterScope())
        {
            Assert.That(py.Eval("v.get_lock().acquire(timeout=0.1)"), Is.EqualTo("False"));
            value.Raw.Value++;
        }

        array[2] = -1;
        Assert.That(py.Eval("(v.value, a[:])"), Is.EqualTo("(42, [0.5, 1.5, -1.0])"));
    }

    // Every typecode of sharedctypes.typecode_to_type and a few ctypes names, as Value and Array(3).
    private const string EveryType = "c b B h H i I l L q Q f d u c_bool c_int64 c_size_t c_int8 c_uint16";

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.VersionsWithPeerRoot))]
    public void SynchronizedValueAndArrayOfEveryType_PickledByCSharp_SameBytesAsCPython(string version)
    {
        // Value(t, lock=L) and Array(t, 3, lock=L) of every type from a fresh heap, all guarded by one RLock (CPython's
        // Value(lock=...) form), so both sides pickle the same semaphore: synchronized(rebuild_ctype(...), RLock).
        var heap = new Heap();
        using var rlock = new RLock();
        var types = EveryType.Split(' ');
        var objects = new List<SynchronizedBase>();
        foreach (var name in types)
        {
            var ctype = CType.Parse(name);
            objects.Add(ctype.View(new BufferWrapper(ctype.Size, heap), null).Synchronize(rlock));
            objects.Add(ctype.View(new BufferWrapper(ctype.Size * 3, heap), 3).Synchronize(rlock));
        }

        var popen = new SpawningPopen();
        byte[] ours;
        using (popen.Enter())
        {
            ours = PickleSerializer.Dumps(new PyTuple(objects.Cast<object?>().ToArray()), new PickleOptions { Registry = ForkingPickler.GetRegistry(), Protocol = PythonInterpreters.DefaultPickleProtocol(version) });
        }

        var fd = objects[0].Obj.Wrapper.Block.Arena.Fd;
        using var py = PythonRepl.Start(version, inheritFds: [fd]);
        py.Exec(Prelude);
        // The pickled handle is each process's own sem_t*: CPython's getstate is made to write ours, the rest is its own.
        var (handle, kind, maxValue, lockName) = rlock.GetState();
        py.Exec(string.Create(CultureInfo.InvariantCulture, $"""
            from multiprocessing import synchronize
            _getstate = synchronize.SemLock.__getstate__
            synchronize.SemLock.__getstate__ = lambda self: ({handle},) + tuple(_getstate(self))[1:]
            L = synchronize.RLock.__new__(synchronize.RLock)
            L.__setstate__((0, {(int)kind}, {maxValue}, '{lockName}'))
            heap.BufferWrapper._heap = heap.Heap()
            types = [sharedctypes.typecode_to_type.get(t) or getattr(ctypes, t) for t in '{EveryType}'.split()]
            objs = []
            for t in types:
                objs += [sharedctypes.Value(t, lock=L), sharedctypes.Array(t, 3, lock=L)]
            """));
        Assert.That(py.Eval($"dumps(tuple(objs), {fd})").Trim('\''), Is.EqualTo(Convert.ToHexStringLower(ours)));

        // The child's view: the same memory and the same lock.
        py.Exec($"import pickle\ngot = pickle.loads(bytes.fromhex('{Convert.ToHexStringLower(ours)}'))");
        Assert.That(py.Eval("got[0].get_lock()._semlock.name == L._semlock.name and got[-1].get_obj()._length_"), Is.EqualTo("3"));
        using (rlock.EnterScope())
        {
            Assert.That(py.Eval("got[10].get_lock().acquire(timeout=0.1)"), Is.EqualTo("False"), "the same semaphore");
        }

        py.Exec("got[10].value = -7; got[11][2] = 9");  // Value('i') and Array('i', 3)
        Assert.That((((SharedValue<int>)objects[10]).Value, ((SharedArray<int>)objects[11])[2]), Is.EqualTo((-7, 9)));
        objects.ForEach(o => o.Dispose());
    }

    [Test]
    public void Pickling_OutsideAChildStart_IsRefusedAsInCPython()
    {
        using var value = new SharedValue<int>(1);
        using var raw = new RawArray<int>(2);
        var options = new PickleOptions { Registry = ForkingPickler.GetRegistry() };
        Assert.That(() => PickleSerializer.Dumps(value, options), Throws.InstanceOf<PicklingException>().With.Message.Contains("inheritance"));
        Assert.That(() => PickleSerializer.Dumps(raw, options), Throws.InstanceOf<PicklingException>().With.Message.Contains("RawArray"));
    }

    [Test]
    public void Rebuild_BlockOutsideItsArena_ClearError()
    {
        using var arena = new Multiprocess.Shm.Arena(4096);
        var dup = LibcPipe.Dup(arena.Fd);
        var bad = PyReduce.NewObj(
            new PyGlobal("multiprocessing.heap", "BufferWrapper"),
            state: new PyDict
            {
                ["_state"] = PyTuple.Create(
                    PyTuple.Create(new PyReduce(new PyGlobal("multiprocessing.heap", "rebuild_arena"), PyTuple.Create(4096L, PyReduce.NewObj(new PyGlobal("multiprocessing.popen_spawn_posix", "_DupFd"), state: new PyDict { ["fd"] = (long)dup }))), 4000L, 5000L),
                    8L),
            });
        var pickle = PickleSerializer.Dumps(new PyReduce(new PyGlobal("multiprocessing.sharedctypes", "rebuild_ctype"), PyTuple.Create(new PyGlobal("ctypes", "c_int"), bad, null)));
        Assert.That(
            () => PickleSerializer.Loads(pickle, new UnpickleOptions { Registry = ForkingPickler.GetRegistry() }),
            Throws.InstanceOf<UnpicklingException>().With.Message.Contains("[4000, 5000)").And.Message.Contains("4096"));
    }
}
