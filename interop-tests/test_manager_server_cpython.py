"""CPython's own manager tests (Lib/test/_test_multiprocessing.py; for `multiprocess`, its port in
multiprocess/tests) run against the C# SyncManager server: the test classes whose ALLOWED_TYPES include 'manager'
get a ManagerMixin whose `manager` is a stock SyncManager connected to `multiprocess serve`, instead of a manager
process of their own. Classes that start their own manager server or need a Pool cannot target an external
server: see SKIPPED_CLASSES.
"""
import gc
import importlib
import sys
import unittest

import pytest

from conftest import PEER_LIB
from manager_server_helpers import watchdog, ServerProcess

mp = importlib.import_module(PEER_LIB)


def _compat_test_support():
    """multiprocess 0.70.12's tests are CPython 3.9's: on 3.10+ they expect helpers that moved out of test.support."""
    import test.support as support
    for helper in ("import_helper", "os_helper", "socket_helper", "threading_helper", "warnings_helper"):
        try:
            module = importlib.import_module("test.support." + helper)
        except ImportError:
            continue
        for name in dir(module):
            if not name.startswith("_") and not hasattr(support, name):
                setattr(support, name, getattr(module, name))


if PEER_LIB == "multiprocess":
    _compat_test_support()
try:
    T = importlib.import_module("multiprocess.tests" if PEER_LIB == "multiprocess" else "test._test_multiprocessing")
except ImportError as e:                                   # a missing test package is a failure, not a skip
    raise AssertionError(f"cannot import the {PEER_LIB} test suite: {e}") from e

# Manager-type classes that run here (TYPE 'manager' in CPython's matrix), and the ones that cannot, with why.
MANAGER_CLASSES = ["_TestQueue", "_TestLock", "_TestSemaphore", "_TestCondition", "_TestEvent", "_TestBarrier",
                   "_TestContainers"]
SKIPPED_CLASSES = {
    "_TestPool": "Pool runs Python functions in worker processes; the C# server refuses the Pool type id",
    "_TestMyManager": "defines and starts its own BaseManager subclass (a Python server process)",
}
SKIPPED_TESTS = {
    "test_pool": "Pool runs Python functions; the C# server refuses the Pool type id",
    "test_action": "Barrier(action=callable) would run the Python callable inside the server",
}

_server = None


def setUpModule():
    global _server
    _server = ServerProcess("abstract" if PEER_LIB == "multiprocess" else "unix")


def tearDownModule():
    if _server is not None:
        _server.stop()


class CSharpManagerMixin(T.ManagerMixin):
    """CPython's ManagerMixin with `manager` connected to the C# server rather than started."""

    @classmethod
    def setUpClass(cls):
        T.BaseMixin.setUpClass.__func__(cls)
        cls.manager = _server.manager()

    @classmethod
    def tearDownClass(cls):
        gc.collect()
        cls.manager = None
        T.BaseMixin.tearDownClass.__func__(cls)


def _install():
    for name in MANAGER_CLASSES:
        base = getattr(T, name)
        assert "manager" in base.ALLOWED_TYPES, (name, base.ALLOWED_TYPES)
        test_name = "TestCSharpManager" + name[len("_Test"):]
        cls = type(test_name, (base, CSharpManagerMixin, unittest.TestCase), {"__module__": __name__})
        for attr, reason in SKIPPED_TESTS.items():
            if hasattr(cls, attr):
                setattr(cls, attr, unittest.skip(reason)(getattr(cls, attr)))
        globals()[test_name] = cls


_install()


class TestCSharpSyncManagerTypes(T.TestSyncManagerTypes):
    """TestSyncManagerTypes with its per-test manager connected to the C# server instead of started."""

    def setUp(self):
        self.manager = _server.manager()
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()
        self.manager = None
        self.proc = None

    @unittest.skip(SKIPPED_TESTS["test_pool"])
    def test_pool(self):
        pass


def test_skipped_classes_exist_and_are_manager_typed():
    """The classes listed as impossible still exist with 'manager' in their types (so the list stays true)."""
    for name in SKIPPED_CLASSES:
        base = getattr(T, name, None)
        assert base is not None and "manager" in getattr(base, "ALLOWED_TYPES", ()), name
    print(f"not run against the C# server: {SKIPPED_CLASSES}")


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield
