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
                return bytes(reduction.ForkingPickler.dumps(o, 4)).hex()
            finally:
                context.set_spawning_popen(None)
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
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
            ours = PickleSerializer.Dumps(PyTuple.Create(value, array), new PickleOptions { Registry = ForkingPickler.GetRegistry() });
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

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void ValueAndArray_PickledByCPython_ArriveAsSharedViewsWithTheSameLock(string version)
    {
        using var py = PythonRepl.Start(version);
        py.Exec(Prelude);
        py.Exec("v = ctx.Value('i', 41); a = ctx.Array('d', [0.5, 1.5, 2.5]); c = ctx.RawArray('c', b'xyz')");
        var pythonFd = int.Parse(py.Eval("v.get_obj()._wrapper._state[0][0].fd"), CultureInfo.InvariantCulture);

        // Stand in for the fd passing: open the Python arena's unlinked file through /proc, then let the pickle name
        // that fd.
        var fd = LibcShm.Open($"/proc/{py.Pid}/fd/{pythonFd}", LibcShm.O_RDWR | LibcShm.O_CLOEXEC, 0);
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
