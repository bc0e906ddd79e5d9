"""C# and CPython's forkserver (docs/forkserver.md), with this env's interpreter and peer library:
- a C# child started by this Python parent is handed the parent's forkserver and has it fork Python children;
- `multiprocess demo --start-method forkserver`: a C# pool whose CPython workers a forkserver started from C# forks
  (with `multiprocess` 0.70.12 too, whose own forkserver cannot start in a Python parent).
The C# parent's Value/Array through its forkserver: test_sharedctypes.py."""
import importlib
import subprocess
import sys

import pytest

from conftest import PEER_FOLLOWS_CPYTHON, PEER_VERSION
from csharp_children import mpdemo, start


def _ensure_running(mp):
    """forkserver.ensure_running() in this Python parent. multiprocess 0.70.12 fails there in its own code:
    resource_tracker.ensure_running → util.spawnv_passfds calls _posixsubprocess.fork_exec with CPython 3.9's
    argument list (a TypeError naming the argument count on 3.11+; 3.10's fork_exec still takes those arguments);
    that is shown here, then the test skips."""
    forkserver = importlib.import_module(mp.__name__ + ".forkserver")
    try:
        forkserver.ensure_running()
    except TypeError as e:
        if PEER_FOLLOWS_CPYTHON or "fork_exec" not in str(e):
            raise
        pytest.skip("%s %s cannot start its own forkserver in a Python parent: %s (util.spawnv_passfds passes "
                    "CPython 3.9's arguments to _posixsubprocess.fork_exec; its spawn fails the same way, so no C# child "
                    "either; on 3.10 both work). A 0.70.12 forkserver started from C# works: test_demo_pool_of_forkserver_workers, "
                    "test_sharedctypes.py; 0.70.19 (env mp314) runs this test"
                    % (mp.__name__, ".".join(map(str, PEER_VERSION)), e))
    return forkserver


def test_csharp_child_uses_the_parents_forkserver(mp, peer_lib, cli):
    forkserver = _ensure_running(mp)
    # C# children are spawned: spawn uses the util.spawnv_passfds that just worked (0.70.12 on 3.10 too).
    ctx = mp.get_context("spawn")
    reduction = importlib.import_module(mp.__name__ + ".reduction")
    fs = forkserver._forkserver
    results = ctx.Queue()
    p = start(ctx, mp, cli, mpdemo.through_forkserver, fs._forkserver_address,
              reduction.DupFd(fs._forkserver_alive_fd), getattr(fs, "_forkserver_authkey", None), mp.__name__, results)
    got = [results.get(timeout=60) for _ in range(4)]
    p.join(60)
    assert p.exitcode == 0
    numbers = sorted(x for x in got if isinstance(x, int))
    (report,) = [x for x in got if isinstance(x, list)]
    assert numbers == [70_000_000, 70_000_001, 70_000_002]
    assert report[:3] == ["exit codes", 0, 5]
    assert all(pid not in (p.pid, fs._forkserver_pid) for pid in report[3:])


def test_demo_pool_of_forkserver_workers(cli, peer_lib):
    proc = subprocess.run([cli, "demo", "--python", sys.executable, "--start-method", "forkserver", "--package", peer_lib,
                           "--python-workers", "2", "--csharp-workers", "0", "--tasks", "8", "--span", "500"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = "%d.%d.%d" % sys.version_info[:3]
    assert f"CPython {version} worker(s)" in proc.stdout and f"{peer_lib}, started by forkserver" in proc.stdout
    assert "check: 8 results in task order" in proc.stdout and ": OK" in proc.stdout
    assert "ForkServerPoolWorker-" in proc.stdout
