"""CPython's own manager tests (Lib/test/_test_multiprocessing.py; for `multiprocess`, its port in
multiprocess/tests) run against the C# SyncManager server: the test classes whose ALLOWED_TYPES include 'manager'
get a ManagerMixin whose `manager` is a stock SyncManager connected to `multiprocess serve`, instead of a manager
process of their own. What only Python can run (Pool, Barrier actions, MyManager's types, initializers) runs in the
server's Python host; classes that start their own manager (MyManager, start(initializer)) start `multiprocess
serve` instead (serve_manager.py); the xmlrpclib and restart classes run in test_manager_server_cpython_xmlrpc.py.
"""
import gc
import importlib
import sys
import unittest

import pytest

import peer_compat
from conftest import PEER_LIB
from manager_server_helpers import watchdog, ServerProcess
from serve_manager import ServeStartMixin, serve_manager_class

mp = importlib.import_module(PEER_LIB)


if PEER_LIB == "multiprocess":
    peer_compat.install()
try:
    T = importlib.import_module("multiprocess.tests" if PEER_LIB == "multiprocess" else "test._test_multiprocessing")
except ImportError as e:                                   # a missing test package is a failure, not a skip
    raise AssertionError(f"cannot import the {PEER_LIB} test suite: {e}") from e

# Manager-type classes that run here (TYPE 'manager' in CPython's matrix); what only Python can run (Pool, Barrier
# actions, MyManager's registered callables, initializers) runs in the server's Python host (docs/python-host.md).
MANAGER_CLASSES = ["_TestQueue", "_TestLock", "_TestSemaphore", "_TestCondition", "_TestEvent", "_TestBarrier",
                   "_TestContainers", "_TestPool"]
# Beyond CPython's own skips (which run as they are, e.g. _TestPool.test_enter for managers):
SKIPPED_CLASSES = {}   # _TestRemoteManager, _TestManagerRestart: test_manager_server_cpython_xmlrpc.py
SKIPPED_TESTS = {}
# The host unpickles the tests' functions by reference: it imports the test module, which multiprocess 0.70.12's
# needs test.support's old helpers for.
HOST_ARGS = ("--initializer", "peer_compat:install") if PEER_LIB == "multiprocess" else ()

# Both families across the matrix at no extra CI time: even minor versions over TCP, odd ones over the peer's default
# local family (a path for the stdlib, the abstract namespace for multiprocess).
FAMILY = "inet" if sys.version_info[1] % 2 == 0 else ("abstract" if PEER_LIB == "multiprocess" else "unix")
ServeStartMixin.serve_family = FAMILY

_server = None


def setUpModule():
    global _server
    _server = ServerProcess(FAMILY, extra=HOST_ARGS)


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



class _ServeMyManagerMixin:
    """_TestMyManager's tests unchanged, with its MyManager started as `multiprocess serve --manager ...:MyManager`
    (its Foo, Bar and the generator baz then live in the server's Python host)."""

    def setUp(self):
        self._saved = T.MyManager
        T.MyManager = serve_manager_class(T.MyManager)

    def tearDown(self):
        T.MyManager = self._saved


TestCSharpMyManager = type("TestCSharpMyManager", (_ServeMyManagerMixin, T._TestMyManager, CSharpManagerMixin,
                                                   unittest.TestCase), {"__module__": __name__})


class TestCSharpInitializers(T.TestInitializers):
    """CPython's TestInitializers with every manager a `multiprocess serve`: the namespace lives in the C# server,
    and start(initializer, initargs) runs the initializer in the started server's Python host."""

    def setUp(self):
        self.mgr = _server.manager()
        self.ns = self.mgr.Namespace()
        self.ns.test = 0

    def tearDown(self):
        self.mgr = None

    def test_manager_initializer(self):
        m = serve_manager_class(mp.managers.SyncManager)()
        self.assertRaises(TypeError, m.start, 1)
        m.start(T.initializer, (self.ns,))
        self.assertEqual(self.ns.test, 1)
        m.shutdown()
        m.join()


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
