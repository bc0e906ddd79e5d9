"""Once the engine is loaded: spawn by default, fork refused with the reason, spawn and forkserver working."""
import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
import os
import subprocess
import sys
import textwrap

import pytest

import shim_targets


def _run(code, env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=180)


# Linux's default start method: fork before 3.14, forkserver from 3.14 on. The engine replaces only fork (forkserver's
# server is a fresh interpreter, like spawn's children).
PYTHON_DEFAULT = "forkserver" if sys.version_info >= (3, 14) else "fork"
ENGINE_DEFAULT = "forkserver" if sys.version_info >= (3, 14) else "spawn"


def test_default_is_never_fork_and_fork_is_refused(child_env):
    out = _run("""
        import multiprocessing, multiprocess_dotnet as mpd, shim_targets
        if __name__ == "__main__":
            assert multiprocessing.get_start_method() == "PYTHON_DEFAULT"
            m = mpd.Manager()
            print("default", multiprocessing.get_start_method())
            q = m.Queue()
            try:
                multiprocessing.get_context("fork").Process(target=shim_targets.report_pid, args=(q,)).start()
            except RuntimeError as e:
                print("refused", "spawn" in str(e) and "forkserver" in str(e))
            for method in ("spawn", "forkserver"):
                p = multiprocessing.get_context(method).Process(target=shim_targets.report_pid, args=(q,))
                p.start(); p.join(60)
                print(method, p.exitcode, q.get(timeout=10) == p.pid)
            p = multiprocessing.Process(target=shim_targets.report_pid, args=(q,))
            p.start(); p.join(60)
            print("default-start", p.exitcode)
            m.shutdown()
        """.replace("PYTHON_DEFAULT", PYTHON_DEFAULT), child_env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    assert "default " + ENGINE_DEFAULT in lines
    assert "refused True" in lines
    assert "spawn 0 True" in lines and "forkserver 0 True" in lines
    assert "default-start 0" in lines


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
    env = dict(child_env, MULTIPROCESS_DOTNET_ALLOW_FORK="1")
    out = _run("""
        import multiprocessing, multiprocess_dotnet as mpd, shim_targets
        m = mpd.Manager(); q = m.Queue()
        p = multiprocessing.get_context("fork").Process(target=shim_targets.report_pid, args=(q,))
        p.start(); p.join(60)
        print("forked", p.exitcode, q.get(timeout=10) == p.pid)
        m.shutdown()
        """, env)
    assert out.returncode == 0, out.stderr
    assert "forked 0 True" in out.stdout
