"""The dill flavour (multiprocess_dotnet.dill_managers): `multiprocess`'s managers served by .NET.

A `multiprocess` client pickles with dill, so lambdas, closures (a recursive one is a cycle in the pickle) and
classes defined in a function travel by value. The .NET server must keep what it gets as it came, for the C# types
(dict, list, Queue, Namespace) and on its way to and from the objects only Python runs (Pool, registered callables,
Barrier actions), which read dill's pickles and answer with dill's pickler (multiprocess_dotnet/_flavour.py).
These tests run in the envs whose library is `multiprocess` (MULTIPROCESS_DOTNET_TEST_LIBRARY, conftest.py); in the
stdlib's envs the one test that runs checks that the stdlib's manager refuses what only dill can carry.
"""
import pickle
import subprocess
import sys
import textwrap
import threading

import pytest

from conftest import CHILD_START_METHOD, DILL, mp

dill_only = pytest.mark.skipif(not DILL, reason="the dill flavour's tests run where MULTIPROCESS_DOTNET_TEST_LIBRARY="
                                                "multiprocess (tox shimmp312, shimmp314); this env tests the stdlib's")


def make_adder(k):
    def add(x):
        return x + k
    return add


def make_factorial():
    def fact(n):                                  # refers to itself through its closure: a cycle in dill's pickle
        return 1 if n <= 1 else n * fact(n - 1)
    return fact


class Adders:
    """Registered with a BaseManager: runs in this interpreter, and its results are functions."""

    def make(self, k):
        return make_adder(k)

    def call(self, f, x):
        return f(x)


@pytest.fixture
def manager(shim):
    with shim.Manager() as m:
        yield m


@pytest.mark.skipif(DILL, reason="checks the stdlib flavour's refusal; the dill flavour carries lambdas")
def test_stdlib_manager_refuses_a_lambda(manager):
    d = manager.dict()
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):    # as the stdlib's own manager
        d["f"] = lambda x: x
    assert len(d) == 0


@dill_only
def test_manager_is_the_dill_flavours(shim, manager):
    assert isinstance(manager, mp.managers.SyncManager) and isinstance(manager, shim.SyncManager)
    assert type(manager.dict()).__module__ == "multiprocess.managers"


@dill_only
def test_functions_travel_by_value_through_the_csharp_types(manager):
    offset = 10

    class Point:                                  # a class of a function's scope: dill pickles it by value
        def __init__(self, x):
            self.x = x

        def norm(self):
            return abs(self.x)

    d, lst, q, ns = manager.dict(), manager.list(), manager.Queue(), manager.Namespace()
    d["lambda"] = lambda x: x + offset
    d["closure"] = make_adder(3)
    d["recursive"] = make_factorial()
    d["point"] = Point(-4)
    lst.append(lambda: "from a list")
    q.put(make_adder(100))
    ns.f = lambda s: s.upper()
    assert d["lambda"](1) == 11 and d["closure"](1) == 4 and d["recursive"](5) == 120 and d["point"].norm() == 4
    copied = d.copy()
    assert copied["lambda"](2) == 12 and copied["recursive"](4) == 24
    assert lst[0]() == "from a list" and q.get(timeout=10)(1) == 101 and ns.f("x") == "X"


@dill_only
def test_children_call_the_functions_they_get(manager):
    d, q = manager.dict(), manager.Queue()
    d["f"] = make_adder(5)
    ctx = mp.get_context(CHILD_START_METHOD)
    p = ctx.Process(target=lambda d, q: q.put(d["f"](1)), args=(d, q))    # the target itself is a lambda
    p.start()
    p.join(120)
    assert p.exitcode == 0 and q.get(timeout=10) == 6


@dill_only
def test_pool_of_the_manager_maps_lambdas_and_returns_functions(manager):
    pool = manager.Pool(2)
    k = 7
    assert pool.map(lambda x: x * k, [1, 2, 3]) == [7, 14, 21]
    assert pool.apply_async(make_adder, (2,)).get(120)(1) == 3        # the result is a function: dill replies
    pool.close()
    pool.join()


@dill_only
def test_registered_callables_take_and_return_functions(shim):
    class M(shim.BaseManager):
        pass
    M.register("Adders", callable=lambda: Adders())
    with M() as m:
        adders = m.Adders()
        assert adders.make(3)(4) == 7
        assert adders.call(lambda x: x * 2, 21) == 42
        assert adders.call(make_factorial(), 6) == 720


@dill_only
def test_barrier_action_may_be_a_lambda(manager):
    results = manager.list()
    barrier = manager.Barrier(2, action=lambda: results.append("acted"))
    t = threading.Thread(target=barrier.wait)
    t.start()
    barrier.wait(timeout=60)
    t.join(60)
    assert list(results) == ["acted"]


@dill_only
def test_install_rebinds_multiprocess_managers(mpd, shim):
    was_installed = mpd.installed()
    mpd.uninstall()
    stock = mp.managers.SyncManager
    assert stock.__module__ == "multiprocess.managers"
    mpd.install()
    try:
        assert mp.managers.SyncManager is shim.SyncManager and mp.managers.BaseManager is shim.BaseManager
        with mp.Manager() as m:
            assert isinstance(m, shim.SyncManager)
            d = m.dict()
            d["f"] = make_adder(1)
            assert d["f"](1) == 2
    finally:
        mpd.uninstall()
    assert mp.managers.SyncManager is stock
    if was_installed:
        mpd.install()


PROGRAM = """
import sys
import multiprocess as mp

OFFSET = 100
square = lambda x: x * x + OFFSET           # of __main__: dill names its globals __builtin__.__main__


def make(k):
    return lambda x: x + k


def work(d, q):
    q.put(d["square"](2) + d["adder"](1))


if __name__ == "__main__":
    with mp.Manager() as m:
        print("manager", type(m).__module__)
        d, q = m.dict(), m.Queue()
        d["square"], d["adder"] = square, make(10)
        p = mp.get_context(sys.argv[1]).Process(target=work, args=(d, q))
        p.start()
        p.join(120)
        print("child", p.exitcode, q.get(timeout=30))
        pool = m.Pool(2)
        print("pool", pool.map(lambda x: square(x) + OFFSET, [1, 2]))
        pool.close()
        pool.join()
"""


@dill_only
def test_unmodified_multiprocess_program_under_the_runner(tmp_path, child_env):
    """multiprocess.Manager() of a program that imports multiprocess only after install() (the import hook), with
    functions of __main__: the same output as with multiprocess's own server, but for the manager's class."""
    program = tmp_path / "dill_program.py"
    program.write_text(textwrap.dedent(PROGRAM))
    outs = [subprocess.run(prefix + [str(program), CHILD_START_METHOD], capture_output=True, text=True,
                           env=child_env, timeout=300)
            for prefix in ([sys.executable], [sys.executable, "-m", "multiprocess_dotnet", "run"])]
    for out in outs:
        assert out.returncode == 0, out.stdout + out.stderr
    stock, shim = (out.stdout.splitlines() for out in outs)
    assert stock[0] == "manager multiprocess.managers" and shim[0] == "manager multiprocess_dotnet.dill_managers"
    assert stock[1:] == shim[1:] == ["child 0 115", "pool [201, 204]"]
