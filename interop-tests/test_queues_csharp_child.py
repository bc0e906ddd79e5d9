"""Queues created by a Python parent and used by C# children (and Python children) together: 2 C# + 2 Python
producers and consumers on one bounded queue (exact multiset), a JoinableQueue drained by C# children, a
SimpleQueue echoed by a C# child."""
import os
import sys
import threading

import pytest

from csharp_children import mpdemo, spawn_context, start

ITEMS = 100_000 if os.environ.get("MULTIPROCESS_SOAK") == "1" else 20_000


@pytest.fixture
def ctx(mp, peer_lib):
    return spawn_context(mp, peer_lib)


def test_two_csharp_and_two_python_producers_and_consumers(ctx, mp, cli):
    per = ITEMS // 4
    q = ctx.Queue(maxsize=1000)
    results = ctx.Queue()
    producers = [start(ctx, mp, cli, mpdemo.produce, q, 1, per), start(ctx, mp, cli, mpdemo.produce, q, 2, per),
                 start(ctx, mp, sys.executable, mpdemo.produce, q, 3, per),
                 start(ctx, mp, sys.executable, mpdemo.produce, q, 4, per)]
    consumers = [start(ctx, mp, cli, mpdemo.consume, q, results), start(ctx, mp, cli, mpdemo.consume, q, results),
                 start(ctx, mp, sys.executable, mpdemo.consume, q, results),
                 start(ctx, mp, sys.executable, mpdemo.consume, q, results)]
    for p in producers:
        p.join(60)
        assert p.exitcode == 0
    for _ in consumers:
        q.put(None)
    got = []
    for _ in consumers:
        got.extend(results.get(timeout=60))
    for p in consumers:
        p.join(60)
        assert p.exitcode == 0
    expected = [tag * 10_000_000 + i for tag in (1, 2, 3, 4) for i in range(per)]
    assert sorted(got) == expected
    assert q.qsize() == 0


def test_joinable_queue_drained_by_csharp_children(ctx, mp, cli):
    jq = ctx.JoinableQueue()
    out = ctx.Queue()
    for i in range(300):
        jq.put(i)
    jq.put(None)
    jq.put(None)
    workers = [start(ctx, mp, cli, mpdemo.joinable_consume, jq, out) for _ in range(2)]
    joined = threading.Event()
    t = threading.Thread(target=lambda: (jq.join(), joined.set()), daemon=True)
    t.start()
    assert joined.wait(60), "join() returned once the C# children called task_done() for every item"
    assert sorted(out.get(timeout=30) for _ in range(300)) == [2 * i for i in range(300)]
    for p in workers:
        p.join(30)
        assert p.exitcode == 0


def test_simple_queue_echoed_by_csharp_child(ctx, mp, cli):
    inq, outq = ctx.SimpleQueue(), ctx.SimpleQueue()
    p = start(ctx, mp, cli, mpdemo.echo, inq, outq)
    items = [1, "two", 3.5, b"four", (5, [6, {"seven": None}]), "x" * 100_000, None]
    for item in items:
        inq.put(item)
    assert [outq.get() for _ in items] == items
    p.join(30)
    assert p.exitcode == 0
