"""A Python parent starts C# children with multiprocessing's spawn start method (set_executable): exit codes as
Python reports them, signals, the sentinel, and arguments rebuilt on the C# side. Spawn is the only start method
that runs the executable for a child: the forkserver (3.14's default) and fork make Python children."""
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from csharp_children import mpdemo, spawn_context, start


@pytest.fixture
def ctx(mp, peer_lib):
    return spawn_context(mp, peer_lib)


def test_exit_codes_of_csharp_children(ctx, mp, cli):
    children = [start(ctx, mp, cli, mpdemo.exit_with, code) for code in (0, 3, 255)]
    for p, code in zip(children, (0, 3, 255)):
        p.join(30)
        assert p.exitcode == code


def test_kill_and_terminate_csharp_children(ctx, mp, cli):
    q = ctx.Queue()
    blocked = [start(ctx, mp, cli, mpdemo.consume, q, q) for _ in range(2)]  # waits for items that never come
    time.sleep(0.5)
    assert all(p.is_alive() for p in blocked)
    assert mp.connection.wait([p.sentinel for p in blocked], 0) == []
    blocked[0].kill()
    blocked[1].terminate()
    for p in blocked:
        p.join(30)
    assert blocked[0].exitcode == -signal.SIGKILL
    assert blocked[1].exitcode == -signal.SIGTERM


def test_unknown_target_fails_with_exit_code_1(ctx, mp, cli):
    p = start(ctx, mp, cli, time.sleep, 0)  # no C# twin for time.sleep
    p.join(30)
    assert p.exitcode == 1


FORKSERVER_PROGRAM = """
import importlib, sys
mp = importlib.import_module(sys.argv[1])
sys.path.insert(0, sys.argv[3])
import mpdemo
if __name__ == "__main__":
    print("default", mp.get_start_method())
    mp.set_executable(sys.argv[2])
    p = mp.get_context("forkserver").Process(target=mpdemo.exit_with, args=(0,))
    try:
        p.start()
    except OSError as e:
        print("start failed", type(e).__name__)
    else:
        p.join(60)
        print("exit", p.exitcode)
"""


@pytest.mark.skipif(sys.version_info < (3, 14), reason="runs with 3.14 (py314, mp314), whose default start method is "
                    "forkserver; what it checks does not depend on the version")
def test_forkserver_cannot_start_csharp_children_and_says_to_spawn(peer_lib, cli):
    """A Python parent starts C# children by spawn only: its forkserver (3.14's default) forks Python children from
    one server process and never runs the executable for a child. Made the executable, the C# command is started as
    that server; it refuses with the reason and the fix, and the parent's start() fails instead of hanging."""
    proc = subprocess.run([sys.executable, "-c", FORKSERVER_PROGRAM, peer_lib, cli, str(pathlib.Path(mpdemo.__file__).parent)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if peer_lib == "multiprocessing":                 # multiprocess 0.70.19 keeps fork as its default on 3.14
        assert proc.stdout.splitlines()[0] == "default forkserver"
    assert proc.stdout.splitlines()[1].startswith("start failed"), proc.stdout + proc.stderr
    assert f"multiprocess: started as {peer_lib}'s forkserver" in proc.stderr
    assert f"{peer_lib}.get_context('spawn')" in proc.stderr
