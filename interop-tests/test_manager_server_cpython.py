"""CPython's own manager tests (Lib/test/_test_multiprocessing.py; for `multiprocess`, its port in
multiprocess/tests) run against the C# SyncManager server: the test classes whose ALLOWED_TYPES include 'manager'
get a ManagerMixin whose `manager` is a stock SyncManager connected to `multiprocess serve`, instead of a manager
process of their own. The server serves Pool itself (CPython workers); what only Python can run (Pool callbacks,
Barrier actions, MyManager's types, initializers) runs in the server's Python host; classes that start their own manager (MyManager, start(initializer)) start `multiprocess
serve` instead (serve_manager.py); the xmlrpclib and restart classes run in test_manager_server_cpython_xmlrpc.py.
"""
import gc
import importlib
import os
import sys
import unittest

import pytest

import peer_compat
from conftest import PEER_LIB
from manager_server_helpers import watchdog, ServerProcess
from serve_manager import serve_manager_class

mp = importlib.import_module(PEER_LIB)


if PEER_LIB == "multiprocess":
    peer_compat.install()
try:
    T = importlib.import_module("multiprocess.tests" if PEER_LIB == "multiprocess" else "test._test_multiprocessing")
except ImportError as e:                                   # a missing test package is a failure, not a skip
    raise AssertionError(f"cannot import the {PEER_LIB} test suite: {e}") from e

# Manager-type classes that run here (TYPE 'manager' in CPython's matrix); what only Python can run (Pool callbacks,
# Barrier actions, MyManager's registered callables, initializers) runs in the server's Python host
# (docs/python-host.md).
MANAGER_CLASSES = ["_TestQueue", "_TestLock", "_TestSemaphore", "_TestCondition", "_TestEvent", "_TestBarrier",
                   "_TestContainers", "_TestPool"]
# Beyond CPython's own skips (which run as they are, e.g. _TestPool.test_enter for managers):
SKIPPED_CLASSES = {}   # _TestRemoteManager, _TestManagerRestart: test_manager_server_cpython_xmlrpc.py
SKIPPED_TESTS = {}
# The host unpickles the tests' functions by reference: it imports the test module, which multiprocess 0.70.12's
# needs test.support's old helpers for.
HOST_ARGS = ("--initializer", "peer_compat:install") if PEER_LIB == "multiprocess" else ()

# Address families: every class runs over one family, and the classes whose behaviour depends on it (FAMILY_CLASSES:
# proxies inside containers carry their server's address in their tokens; lock and semaphore replies; start() of a
# server on an address of the family) over the other as well ("...Inet": TCP; "...Unix": the peer's default local
# family, a path for the stdlib, the abstract namespace for multiprocess), each family against its own server. Every
# class in both families costs ~40 s more per env, so that runs on the oldest and newest version of each peer library
# (py38, py314, mp310, mp314); elsewhere the full set alternates (even minor: TCP, odd: local) and FAMILY_CLASSES run
# in the other family (~5-15 s). MULTIPROCESS_BOTH_FAMILIES=1 runs everything in both in every env.
LOCAL_FAMILY = "abstract" if PEER_LIB == "multiprocess" else "unix"
BOTH_FAMILIES_IN = {("multiprocessing", (3, 8)), ("multiprocessing", (3, 14)), ("multiprocess", (3, 10)),
                    ("multiprocess", (3, 14))}
FAMILY_CLASSES = {"_TestContainers", "_TestLock", "_TestSemaphore"}   # and TestInitializers, always in both
FAMILIES = {"Inet": "inet", "Unix": LOCAL_FAMILY}
if os.environ.get("MULTIPROCESS_BOTH_FAMILIES") == "1" or (PEER_LIB, sys.version_info[:2]) in BOTH_FAMILIES_IN:
    FULL_FAMILIES = set(FAMILIES)
else:
    FULL_FAMILIES = {"Inet" if sys.version_info[1] % 2 == 0 else "Unix"}

_servers = {}


def _server(family):
    """The module's `multiprocess serve` of that family, started on first use (one per family)."""
    if family not in _servers:
        _servers[family] = ServerProcess(family, extra=HOST_ARGS)
    return _servers[family]


def tearDownModule():
    for server in _servers.values():
        server.stop()
    _servers.clear()


class CSharpManagerMixin(T.ManagerMixin):
    """CPython's ManagerMixin with `manager` connected to the C# server (of the class's family) rather than started."""

    serve_family = "inet"

    @classmethod
    def setUpClass(cls):
        T.BaseMixin.setUpClass.__func__(cls)
        cls.manager = _server(cls.serve_family).manager()

    @classmethod
    def tearDownClass(cls):
        gc.collect()
        cls.manager = None
        T.BaseMixin.tearDownClass.__func__(cls)


def _define(name, bases, **attrs):
    cls = type(name, bases, dict(attrs, __module__=__name__))
    globals()[name] = cls
    return cls


def _install():
    for suffix, family in FAMILIES.items():
        full = suffix in FULL_FAMILIES
        for name in MANAGER_CLASSES:
            if not full and name not in FAMILY_CLASSES:
                continue
            base = getattr(T, name)
            assert "manager" in base.ALLOWED_TYPES, (name, base.ALLOWED_TYPES)
            cls = _define("TestCSharpManager" + name[len("_Test"):] + suffix, (base, CSharpManagerMixin, unittest.TestCase),
                          serve_family=family)
            for attr, reason in SKIPPED_TESTS.items():
                if hasattr(cls, attr):
                    setattr(cls, attr, unittest.skip(reason)(getattr(cls, attr)))
        if full:
            _define("TestCSharpSyncManagerTypes" + suffix, (_SyncManagerTypesMixin, T.TestSyncManagerTypes), serve_family=family)
            _define("TestCSharpMyManager" + suffix, (_ServeMyManagerMixin, T._TestMyManager, CSharpManagerMixin, unittest.TestCase),
                    serve_family=family)
        _define("TestCSharpInitializers" + suffix, (_InitializersMixin, T.TestInitializers), serve_family=family)


class _SyncManagerTypesMixin:
    """TestSyncManagerTypes with its per-test manager connected to the C# server instead of started."""

    def setUp(self):
        self.manager = _server(self.serve_family).manager()
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
        T.MyManager = _serve_class(T.MyManager, self.serve_family)

    def tearDown(self):
        T.MyManager = self._saved


class _InitializersMixin:
    """CPython's TestInitializers with every manager a `multiprocess serve`: the namespace lives in the C# server,
    and start(initializer, initargs) runs the initializer in the started server's Python host."""

    def setUp(self):
        self.mgr = _server(self.serve_family).manager()
        self.ns = self.mgr.Namespace()
        self.ns.test = 0

    def tearDown(self):
        self.mgr = None

    def test_manager_initializer(self):
        m = _serve_class(mp.managers.SyncManager, self.serve_family)()
        self.assertRaises(TypeError, m.start, 1)
        m.start(T.initializer, (self.ns,))
        self.assertEqual(self.ns.test, 1)
        m.shutdown()
        m.join()


def _serve_class(base, family):
    cls = serve_manager_class(base)
    cls.serve_family = family
    return cls


_install()


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
