"""Server mode 'process' (docs/native.md): under the fork start method Manager() starts the engine as a server process
of its own, as CPython forks its server, so the program never loads .NET and may fork freely; type ids backed by Python
callables run in the program, on threads of its own."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import PROGRAMS

PY314 = sys.version_info >= (3, 14)


def _run(argv, env, timeout=180):
    # A hang is a failure: subprocess.run raises TimeoutExpired.
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)


def _fork_style(runner, env, *args):
    prefix = [sys.executable, "-m", "multiprocess_dotnet", "run"] if runner else [sys.executable]
    return _run(prefix + [str(PROGRAMS / "fork_style.py"), "10"] + list(args), env)


@pytest.mark.parametrize("start_method", [None, "fork"], ids=["default", "fork"])
def test_fork_style_program_under_the_runner(child_env, start_method):
    args = [start_method] if start_method else []
    stdlib = _fork_style(False, child_env, *args)
    shim = _fork_style(True, child_env, *args)
    if PY314 and start_method is None:
        # 3.14's default is forkserver, which imports the unguarded main module again: the stdlib fails at once with
        # its bootstrapping error, and so does the program under the shim (no hang, the same error).
        for out in (stdlib, shim):
            assert out.returncode != 0 and "bootstrapping phase" in out.stderr, out.stdout + out.stderr
        return
    assert stdlib.returncode == 0, stdlib.stderr
    assert shim.returncode == 0, shim.stdout + shim.stderr
    for line in ("results [0, 10, 20, 30, 40]", "proxy pool [0, 10, 20]", "start method fork"):
        assert line in stdlib.stdout.splitlines() and line in shim.stdout.splitlines(), (line, shim.stdout)
    assert "manager multiprocess_dotnet.managers own server process True" in shim.stdout


FORK_CONTEXT_PROGRAM = """
import multiprocessing, os, sys, threading
import multiprocessing.managers
import multiprocess_dotnet as mpd

ctx = multiprocessing.get_context("fork")
OWNER = os.getpid()


class Counter:                          # defined in __main__: a server in another interpreter could not import it
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def add(self, k):
        with self.lock:
            self.n += k
            return self.n, os.getpid()


class CounterManager(mpd.SyncManager):
    pass


CounterManager.register("Counter", Counter)


def child(counter, d, q):
    counter.add(5)
    d[os.getpid()] = "child"
    q.put("from child")


def maps(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


m = CounterManager(ctx=ctx)
m.start()
print("mode", mpd.server_mode(ctx), "server is another process", m._process.pid != OWNER)
counter, d, q = m.Counter(), m.dict(), m.Queue()
print("runs in the owner", counter.add(1) == (1, OWNER))
procs = [ctx.Process(target=child, args=(counter, d, q)) for _ in range(3)]
for p in procs:
    p.start()
for p in procs:
    p.join(60)
print("children", [p.exitcode for p in procs], sorted(q.get(timeout=10) for _ in procs), len(d))
print("counter", counter.add(0)[0])
pid = os.fork()                          # a bare fork: the child uses proxies of its own
if pid == 0:
    c2 = m.Counter()
    os._exit(0 if c2.add(2)[0] == 2 and counter.add(0)[0] == 16 else 5)
print("bare fork child", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) if hasattr(os, "waitstatus_to_exitcode")
      else os.waitpid(pid, 0)[1] >> 8)
print("engine in this process", "Multiprocess.Interop.so" in maps(OWNER), "in the server",
      "Multiprocess.Interop.so" in maps(m._process.pid))
print("no engine module", "multiprocess_dotnet._engine" not in sys.modules)
server = m._process.pid
m.shutdown()
print("server exit", m._process.exitcode, "reaped", not os.path.exists("/proc/%d" % server))
"""


def test_fork_context_manager_runs_python_types_in_the_owner(child_env, tmp_path):
    program = tmp_path / "program.py"
    program.write_text(textwrap.dedent(FORK_CONTEXT_PROGRAM))
    out = _run([sys.executable, str(program)], child_env)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "mode process server is another process True" in lines
    assert "runs in the owner True" in lines
    assert "children [0, 0, 0] ['from child', 'from child', 'from child'] 3" in lines
    assert "counter 16" in lines and "bare fork child 0" in lines
    assert "engine in this process False in the server True" in lines
    assert "no engine module True" in lines
    assert "server exit 0 reaped True" in lines


def _gone(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return any(line.startswith("State:") and "Z" in line for line in f)   # a zombie of its new parent
    except FileNotFoundError:
        return True


def test_server_process_ends_with_its_owner(child_env):
    out = _run([sys.executable, "-c", textwrap.dedent("""
        import multiprocessing, os, signal
        import multiprocess_dotnet as mpd
        m = mpd.SyncManager(ctx=multiprocessing.get_context("fork")); m.start()
        d = m.dict(a=1)
        print(m._process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """)], child_env)
    assert out.returncode == -9, out.stderr
    server = int(out.stdout.split()[0])
    deadline = time.monotonic() + 20
    while not _gone(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(server), "the server process %d outlived its killed owner" % server


def test_client_shutdown_ends_the_server_process(mpd, monkeypatch):
    monkeypatch.delenv("MULTIPROCESS_DOTNET_SERVER", raising=False)     # 'auto': a fork context means 'process'
    import multiprocessing
    import multiprocessing.connection
    import multiprocessing.managers
    m = mpd.SyncManager(ctx=multiprocessing.get_context("fork"), authkey=b"k")
    m.start()
    pid = m._process.pid
    assert pid != os.getpid() and m._process.is_alive()
    conn = multiprocessing.connection.Client(m.address, authkey=b"k")
    multiprocessing.managers.dispatch(conn, None, "shutdown")
    conn.close()
    m._process.join(20)
    assert not m._process.is_alive() and m._process.exitcode == 0
    m.shutdown()                                            # nothing left to stop: no error
    assert not os.path.exists("/proc/%d" % pid)             # reaped


def test_missing_launcher_is_a_clear_error(child_env, tmp_path):
    from multiprocess_dotnet import _engine_files
    os.symlink(_engine_files.library_path(), str(tmp_path / _engine_files.NATIVE_LIBRARY))   # only the launcher is missing
    env = dict(child_env, MULTIPROCESS_DOTNET_ENGINE=str(tmp_path), MULTIPROCESS_DOTNET_SERVER="process")
    out = _run([sys.executable, "-c", "import multiprocess_dotnet as mpd; mpd.Manager()"], env)
    assert out.returncode == 1
    assert "EngineLoadError" in out.stderr and str(tmp_path / "multiprocess-dotnet-server") in out.stderr


def test_manager_spawns_its_server_before_importing_the_managers(child_env):
    # _start.py: the server process boots while multiprocessing.managers imports (the first start overlaps the two).
    out = _run([sys.executable, "-c", textwrap.dedent("""
        import os, sys
        seen = []
        spawn = os.posix_spawn
        def recording(path, *args, **kwargs):
            seen.append((os.path.basename(path), "multiprocessing.managers" in sys.modules))
            return spawn(path, *args, **kwargs)
        os.posix_spawn = recording
        import multiprocessing
        import multiprocess_dotnet as mpd
        with mpd.Manager(ctx=multiprocessing.get_context("fork")) as m:
            d = m.dict(a=1)
            assert d["a"] == 1
            print("server", m._process.pid != os.getpid())
        print("spawned", seen)
        """)], child_env)
    assert out.returncode == 0, out.stderr
    assert "server True" in out.stdout
    assert "spawned [('multiprocess-dotnet-server', False)]" in out.stdout, out.stdout


def test_a_launch_nobody_takes_ends_its_server_process(child_env):
    # Manager() spawned the server, then start() failed before it took it: the process ends and is reaped.
    out = _run([sys.executable, "-c", textwrap.dedent("""
        import multiprocessing, os
        import multiprocess_dotnet as mpd
        from multiprocess_dotnet import _start, managers
        launched = []
        Launch = _start.Launch
        class Recorded(Launch):
            def __init__(self):
                Launch.__init__(self)
                launched.append(self.pid)
        _start.Launch = Recorded
        def failing(self, *args, **kwargs):
            raise OSError("start refused for the test")
        managers.SyncManager.start = failing
        try:
            mpd.Manager(ctx=multiprocessing.get_context("fork"))
        except OSError as e:
            print("error", e)
        pid = launched[0]
        try:
            os.waitpid(pid, os.WNOHANG)
            print("not reaped")
        except ChildProcessError:
            print("reaped", not os.path.exists("/proc/%d" % pid))
        """)], child_env)
    assert out.returncode == 0, out.stderr
    assert "error start refused for the test" in out.stdout and "reaped True" in out.stdout, out.stdout
