"""C# and CPython's forkserver (docs/forkserver.md), with this env's interpreter and peer library:
- a C# child started by this Python parent is handed the parent's forkserver and has it fork Python children;
- `multiprocess demo --start-method forkserver`: a C# pool whose CPython workers a forkserver started from C# forks."""
import importlib
import subprocess
import sys

from csharp_children import mpdemo, spawn_context, start


def test_csharp_child_uses_the_parents_forkserver(mp, peer_lib, cli):
    ctx = spawn_context(mp, peer_lib)  # C# children are spawned (skips with 0.70.12, whose spawn is broken)
    forkserver = importlib.import_module(mp.__name__ + ".forkserver")
    reduction = importlib.import_module(mp.__name__ + ".reduction")
    forkserver.ensure_running()
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
                           "--python-workers", "3", "--csharp-workers", "0", "--tasks", "40", "--span", "2000"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = "%d.%d.%d" % sys.version_info[:3]
    assert f"CPython {version} worker(s)" in proc.stdout and f"{peer_lib}, started by forkserver" in proc.stdout
    assert "check: 40 results in task order" in proc.stdout and ": OK" in proc.stdout
    assert "ForkServerPoolWorker-" in proc.stdout
