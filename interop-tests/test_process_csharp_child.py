"""A Python parent starts C# children with multiprocessing's spawn start method (set_executable): exit codes as
Python reports them, signals, the sentinel, and arguments rebuilt on the C# side. Spawn is the only start method
that runs the executable for a child: the forkserver (3.14's default) and fork make Python children."""
import pathlib
import queue
import signal
import subprocess
import sys
import time

import pytest

from conftest import PEER_FOLLOWS_CPYTHON, PEER_VERSION
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
    queues = [(ctx.Queue(), ctx.Queue()) for _ in range(2)]
    blocked = [start(ctx, mp, cli, mpdemo.echo, inq, outq) for inq, outq in queues]
    for i, (inq, outq) in enumerate(queues):     # each echoes one item, then waits for the next, which never comes
        inq.put(i)
        try:
            assert outq.get(timeout=60) == i
        except queue.Empty:
            pytest.fail(f"C# child {blocked[i].pid} did not echo its item within 60 s (alive: {blocked[i].is_alive()})")
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
    except (OSError, EOFError) as e:  # 3.14: OSError; 3.8-3.13 read the child's pid from a server that is gone: EOFError
        print("start failed", type(e).__name__)
    except TypeError as e:            # multiprocess 0.70.12 on 3.11+, in its own code before any server starts
        print("peer cannot start a forkserver:", e)
    else:
        p.join(60)
        print("exit", p.exitcode)
"""


def test_forkserver_cannot_start_csharp_children_and_says_to_spawn(peer_lib, cli):
    """A Python parent starts C# children by spawn only: its forkserver (3.14's default; chosen explicitly here, so
    every version runs it) forks Python children from one server process and never runs the executable for a child.
    Made the executable, the C# command is started as that server; it refuses with the reason and the fix, and the
    parent's start() fails instead of hanging."""
    proc = subprocess.run([sys.executable, "-c", FORKSERVER_PROGRAM, peer_lib, cli, str(pathlib.Path(mpdemo.__file__).parent)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outcome = proc.stdout.splitlines()[1]
    if outcome.startswith("peer cannot start a forkserver:") and not PEER_FOLLOWS_CPYTHON and "fork_exec" in outcome:
        pytest.skip("%s %s cannot start a forkserver in a Python parent (%s: util.spawnv_passfds passes CPython 3.9's "
                    "arguments to _posixsubprocess.fork_exec), so there is no forkserver request to refuse; mp310 and "
                    "mp314 run this test" % (peer_lib, ".".join(map(str, PEER_VERSION)), outcome.split(":", 1)[1].strip()))
    if peer_lib == "multiprocessing" and sys.version_info >= (3, 14):  # the default that makes this matter
        assert proc.stdout.splitlines()[0] == "default forkserver"
    assert outcome.startswith("start failed"), proc.stdout + proc.stderr
    assert f"multiprocess: started as {peer_lib}'s forkserver" in proc.stderr
    assert f"{peer_lib}.get_context('spawn')" in proc.stderr
