"""Fork safety: the engine loads into a process only for the 'inprocess' server mode; there, fork is refused with the
reason (never a child that hangs), the start method is left alone, and spawn and forkserver work. Under the fork start
method the server is a process of its own (test_fork_mode.py)."""
import subprocess
import sys
import textwrap

import shim_targets  # noqa: F401 -- the children import it


def _run(code, env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=180)


def test_inprocess_server_refuses_fork_and_leaves_the_start_method(child_env):
    out = _run("""
        import multiprocessing, multiprocess_dotnet as mpd, shim_targets
        if __name__ == "__main__":
            multiprocessing.set_start_method("spawn")
            m = mpd.Manager()
            print("mode", mpd.server_mode(), "start method", multiprocessing.get_start_method())
            q = m.Queue()
            try:
                multiprocessing.get_context("fork").Process(target=shim_targets.report_pid, args=(q,)).start()
            except RuntimeError as e:
                print("refused", "spawn" in str(e) and "forkserver" in str(e) and "MULTIPROCESS_DOTNET_SERVER" in str(e))
            try:
                multiprocessing.get_context("fork").Pool(2)
            except RuntimeError as e:
                print("pool refused", "inprocess" in str(e))
            for method in ("spawn", "forkserver"):
                p = multiprocessing.get_context(method).Process(target=shim_targets.report_pid, args=(q,))
                p.start(); p.join(60)
                print(method, p.exitcode, q.get(timeout=10) == p.pid)
            m.shutdown()
        """, child_env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert "mode inprocess start method spawn" in lines
    assert "refused True" in lines and "pool refused True" in lines
    assert "spawn 0 True" in lines and "forkserver 0 True" in lines


def test_bare_fork_child_cannot_call_the_engine(child_env):
    out = _run("""
        import os, multiprocess_dotnet as mpd
        from multiprocess_dotnet import _engine
        mpd.load()
        pid = os.fork()
        if pid == 0:
            try:
                _engine.engine().call("version")
                os._exit(3)
            except mpd.EngineError as e:
                os._exit(7 if "forked child" in str(e) else 4)
        _, status = os.waitpid(pid, 0)
        print("child", os.WEXITSTATUS(status))
        print("parent still works", bool(mpd.load()))
        """, child_env)
    assert out.returncode == 0, out.stderr
    assert "child 7" in out.stdout and "parent still works True" in out.stdout


def test_allow_fork_escape_hatch(child_env):
    env = dict(child_env, MULTIPROCESS_DOTNET_ALLOW_FORK="1", MULTIPROCESS_DOTNET_SERVER="inprocess")
    out = _run("""
        import multiprocessing, multiprocess_dotnet as mpd, shim_targets
        m = mpd.Manager(); q = m.Queue()
        p = multiprocessing.get_context("fork").Process(target=shim_targets.report_pid, args=(q,))
        p.start(); p.join(60)
        print("forked", p.exitcode, q.get(timeout=10) == p.pid, m._process.pid == __import__("os").getpid())
        m.shutdown()
        """, env)
    assert out.returncode == 0, out.stderr
    assert "forked 0 True True" in out.stdout
