"""Helpers for tests where a Python parent starts C# children: `multiprocessing.set_executable(<multiprocess>)`
makes CPython's spawn start the engine's command with its usual spawn command line; the command runs the C# twin of
the mpdemo function named as the Process target (python/demo/mpdemo.py, DemoTargets.cs)."""
import contextlib
import importlib
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(os.environ.get("MULTIPROCESS_REPO", pathlib.Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(REPO / "python" / "demo"))

import mpdemo  # noqa: E402

from conftest import PEER_FOLLOWS_CPYTHON  # noqa: E402

SPAWN_BROKEN = ("multiprocess 0.70.12 (Debian bookworm) cannot use the spawn start method on CPython 3.11+ (its "
                "util.spawnv_passfds calls _posixsubprocess.fork_exec with 3.10's argument count: 'fork_exec expected "
                "23 arguments, got 21'), and C# children can only be spawned; it works on 3.10 (env mp310), and "
                "multiprocess 0.70.19 (env mp314) runs these")


def spawn_context(mp, peer_lib):
    if not PEER_FOLLOWS_CPYTHON and sys.version_info >= (3, 11):
        pytest.skip(SPAWN_BROKEN)
    return mp.get_context("spawn")


@contextlib.contextmanager
def executable(mp, exe):
    """Processes started inside the block run `exe` (the C# command, or a Python)."""
    spawn = importlib.import_module(mp.__name__ + ".spawn")
    old = spawn.get_executable()
    mp.set_executable(exe)
    try:
        yield
    finally:
        spawn.set_executable(old)


def start(ctx, mp, exe, target, *args):
    with executable(mp, exe):
        p = ctx.Process(target=target, args=args)
        p.start()
    return p
