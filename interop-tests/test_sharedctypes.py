"""Value, Array, RawValue and RawArray across the language boundary (sharedctypes over heap arenas, passed as fds).

A Python parent hands them to C# children (spawn with set_executable, csharp_children.py), which run the C# twins of
mpdemo's add_shared / fill_shared; a C# parent (`multiprocess-testpeer sharedctypes`) hands its SharedValue /
SharedArray / RawValue / RawArray to Python children and to a Pool initializer, spawned or forked by a forkserver. In both directions the two languages
increment one counter under its lock at the same time, and the total must be exact."""
import ctypes
import json
import os
import subprocess
import sys

import pytest

from conftest import CLI, REPO
from csharp_children import mpdemo, spawn_context, start
from shm_support import TESTPEER

N = 500  # enough for three processes to overlap (lost updates without the lock); contention costs context switches
# Every typecode of sharedctypes.typecode_to_type, and ctypes types by name.
TYPECODES = "cbBhHiIlLqQfdu"
BY_NAME = (ctypes.c_bool, ctypes.c_int64, ctypes.c_size_t, ctypes.c_int8, ctypes.c_uint16)


@pytest.fixture
def ctx(mp, peer_lib):
    return spawn_context(mp, peer_lib)


def _join(processes):
    for p in processes:
        p.join(60)
    return [p.exitcode for p in processes]


def test_value_and_array_to_csharp_children_exact_total_under_the_lock(ctx, mp, cli):
    counter = ctx.Value("i", 0)
    numbers = ctx.Array("d", 8)
    csharp = [start(ctx, mp, cli, mpdemo.add_shared, counter, numbers, N) for _ in range(2)]
    python = ctx.Process(target=mpdemo.add_shared, args=(counter, numbers, N))
    python.start()
    mpdemo.add_shared(counter, numbers, N)  # the parent too, all at once
    assert _join(csharp + [python]) == [0, 0, 0]
    assert counter.value == 4 * N
    assert list(numbers) == [4.0] * 8


def test_raw_values_and_arrays_of_every_type_to_a_csharp_child(ctx, mp, cli):
    types = list(TYPECODES) + list(BY_NAME)
    shared = [ctx.RawValue(t) for t in types] + [ctx.RawArray(t, 5) for t in types]
    local = [ctx.RawValue(t) for t in types] + [ctx.RawArray(t, 5) for t in types]
    p = start(ctx, mp, cli, mpdemo.fill_shared, *shared)
    assert _join([p]) == [0]
    mpdemo.fill_shared(*local)  # what Python writes is what the C# twin must have written
    got = [o[:] if isinstance(o, ctypes.Array) else o.value for o in shared]
    want = [o[:] if isinstance(o, ctypes.Array) else o.value for o in local]
    assert got == want


def test_value_with_a_given_lock_and_unlocked_value_to_a_csharp_child(ctx, mp, cli):
    lock = ctx.Lock()  # a plain Lock instead of the default RLock
    counter = ctx.Value("i", 5, lock=lock)
    assert counter.get_lock() is lock
    numbers = ctx.Array("d", [0.5, 1.5], lock=True)
    p = start(ctx, mp, cli, mpdemo.add_shared, counter, numbers, 10)
    assert _join([p]) == [0]
    assert counter.value == 15
    assert list(numbers) == [1.5, 2.5]
    assert lock.acquire(timeout=1)  # the child released it every time
    lock.release()


@pytest.mark.parametrize("start_method", ["spawn", "forkserver"])
def test_csharp_parent_shares_value_and_array_with_python_children_and_a_pool(peer_lib, start_method):
    """The C# parent's children and pool workers are spawned, or forked by a forkserver it starts (docs/forkserver.md):
    the arenas' fds then travel as popen_forkserver._DupFd indexes in the request's SCM_RIGHTS message."""
    if not os.path.exists(TESTPEER):
        pytest.fail(f"the C# test peer is not built: {TESTPEER} (run scripts/setup.sh)")
    proc = subprocess.run(
        [TESTPEER, "sharedctypes", sys.executable, peer_lib, str(REPO / "python" / "demo"), str(N), start_method],
        capture_output=True, text=True, timeout=180, env=dict(os.environ, MULTIPROCESS_CLI=CLI))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["exitcodes"] == [0, 0], proc.stderr
    prefix = "ForkServer" if start_method == "forkserver" else "Spawn"
    assert all(name.startswith(prefix + "Process-") for name in result["names"]), result["names"]
    assert all(name.startswith(prefix + "PoolWorker-") for name in result["pool_workers"]), result["pool_workers"]
    assert result["counter"] == 3 * N
    assert result["numbers"] == [3.0] * 8
    assert result["pool_results"] == [8, 8, 8, 8]
    assert result["counter_after_pool"] == 7 * N
    assert result["fill_exitcode"] == 0, proc.stderr
    # The ctype names as they travel (q/Q are c_long/c_ulong on LP64), each element as a number.
    names = {"c": "c_char", "b": "c_byte", "B": "c_ubyte", "h": "c_short", "H": "c_ushort", "i": "c_int",
             "I": "c_uint", "l": "c_long", "L": "c_ulong", "q": "c_long", "Q": "c_ulong", "f": "c_float",
             "d": "c_double", "u": "c_wchar"}
    expected = []
    for code in "cbBhHiIlLqQfdu":
        expected += [f"{names[code]}:[42]", f"{names[code]}:[42,43,44]"]
    expected += ["c_bool:[1]", "c_long:[42,43,44]"]
    assert result["filled"] == expected
