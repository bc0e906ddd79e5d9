using System.Globalization;
using Multiprocess.Pickle;
using Multiprocess.Processes;
using Multiprocess.Reduction;
using Multiprocess.TestUtilities;

namespace Multiprocess.Tests.Processes;

/// <summary>The two pickles a spawned child reads, byte for byte against what CPython's ForkingPickler writes for the
/// same preparation data and the same SpawnProcess (popen_spawn_posix spawning).</summary>
[TestFixture]
public sealed class SpawnPicklesTests
{
    private const string Script = """
        import sys
        sys.path.insert(0, sys.argv[1])
        import multiprocessing as mp
        from multiprocessing import context, popen_spawn_posix, process, reduction
        import mp_test_targets
        key = bytes.fromhex(sys.argv[2])
        class FakePopen:
            DupFd = popen_spawn_posix._DupFd
            def duplicate_for_child(self, fd):
                return fd
        p = mp.get_context('spawn').Process(target=mp_test_targets.add, args=(1, 'a', [2.5, None], (True,)),
                                            kwargs={'k': b'v'}, name='child', daemon=True)
        p._identity = (3, 7)
        p._parent_pid = int(sys.argv[3])
        p._parent_name = 'MainProcess'
        p._config['authkey'] = process.AuthenticationString(key)
        prep = {'log_to_stderr': False, 'authkey': process.AuthenticationString(key), 'name': 'child',
                'orig_dir': '/tmp', 'dir': '/tmp', 'start_method': 'spawn'}
        context.set_spawning_popen(FakePopen())
        print(bytes(reduction.ForkingPickler.dumps(prep)).hex())
        print(bytes(reduction.ForkingPickler.dumps(p)).hex())
        prep = {'log_to_stderr': False, 'authkey': process.AuthenticationString(key), 'name': 'child',
                'sys_path': ['/srv/py', '/usr/lib/python3'], 'orig_dir': '/tmp', 'dir': '/tmp', 'start_method': 'forkserver'}
        print(bytes(reduction.ForkingPickler.dumps(prep)).hex())
        """;

    [TestCaseSource(typeof(PythonInterpreters), nameof(PythonInterpreters.Versions))]
    public void PreparationDataAndProcessObject_SameBytesAsCPython(string version)
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var lines = PythonInterpreters.RunScript(
            PythonInterpreters.Get(version), Script, TimeSpan.FromSeconds(30),
            [PythonTargets.Directory, Convert.ToHexStringLower(key), Environment.ProcessId.ToString(CultureInfo.InvariantCulture)])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var prep = PickleSerializer.Dumps(SpawnPickles.PreparationData("multiprocessing", "child", key, "/tmp", "spawn"));
        var process = PickleSerializer.Dumps(SpawnPickles.ProcessObject(
            "multiprocessing", "SpawnProcess", [3, 7], key, true, new PyGlobal(PythonTargets.Module, "add"),
            PyTuple.Create(1L, "a", new List<object?> { 2.5, null }, PyTuple.Create(true)), new PyDict { ["k"] = "v"u8.ToArray() }, "child"));
        // With sys_path (a Python parent's forkserver): get_preparation_data puts it after name.
        var withSysPath = PickleSerializer.Dumps(SpawnPickles.PreparationData("multiprocessing", "child", key, "/tmp", "forkserver", ["/srv/py", "/usr/lib/python3"]));
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexStringLower(prep), Is.EqualTo(lines[0]));
            Assert.That(Convert.ToHexStringLower(process), Is.EqualTo(lines[1]));
            Assert.That(Convert.ToHexStringLower(withSysPath), Is.EqualTo(lines[2]));
        });
    }
}
