"""A Python parent starts C# children with multiprocessing's spawn start method (set_executable): exit codes as
Python reports them, signals, the sentinel, and arguments rebuilt on the C# side."""
import queue
import signal
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
