"""CPython's own manager tests (Lib/test/_test_multiprocessing.py) with multiprocess_dotnet's Manager in place of
the stdlib's: install() runs before the test module is imported, so ManagerMixin's `multiprocessing.Manager()` and
_TestMyManager's `BaseManager` subclasses all get the server on .NET threads in this process. The classes whose
ALLOWED_TYPES include 'manager' run here, Pool and registered Python classes included; SKIPPED lists what cannot,
with why.
"""
import gc
import importlib
import sys
import unittest

import multiprocess_dotnet
from conftest import DILL

multiprocess_dotnet.install()


def _restore_test_support_names():
    """Bookworm's multiprocess 0.70.12 ships a copy of CPython 3.9's suite, which calls test.support functions that
    CPython 3.10 moved into helper modules (bpo-40275: import_helper, os_helper, threading_helper, warnings_helper) and
    fails at import (`test.support.import_module('_multiprocessing')`). Give test.support those names back, from where
    this CPython keeps them (interop-tests/peer_compat.py does the same for the mp31x envs); the suite runs unchanged."""
    from test import support
    from test.support import import_helper, os_helper, threading_helper, warnings_helper
    moved = {import_helper: ["import_module", "DirsOnSysPath"],
             os_helper: ["TESTFN", "unlink", "temp_cwd", "fd_count"],
             threading_helper: ["start_threads", "join_thread"],
             warnings_helper: ["check_warnings"]}
    for helper, names in moved.items():
        for name in names:
            if not hasattr(support, name):
                setattr(support, name, getattr(helper, name))


# The dill flavour runs multiprocess's own copy of the suite (multiprocess/tests/__init__.py: the same classes over
# `multiprocess`, as 0.70.19 and 0.70.12 ship it).
SUITE = "multiprocess.tests" if DILL else "test._test_multiprocessing"
if DILL and sys.version_info >= (3, 10):
    _restore_test_support_names()
try:
    T = importlib.import_module(SUITE)
except ImportError as e:                                  # a missing test package is a failure, not a skip
    raise AssertionError("cannot import the manager tests %s: %s" % (SUITE, e)) from e

MIXIN_CLASSES = ["_TestQueue", "_TestLock", "_TestSemaphore", "_TestCondition", "_TestEvent", "_TestBarrier",
                 "_TestContainers", "_TestPool", "_TestRemoteManager", "_TestManagerRestart"]   # the last two: xmlrpclib
PLAIN_CLASSES = ["_TestMyManager"]
SKIPPED_CLASSES = {}
SKIPPED_TESTS = {}


def _install():
    for name in MIXIN_CLASSES + PLAIN_CLASSES:
        base = getattr(T, name)
        assert "manager" in base.ALLOWED_TYPES, (name, base.ALLOWED_TYPES)
        bases = (base, T.ManagerMixin, unittest.TestCase) if name in MIXIN_CLASSES else (base, unittest.TestCase)
        test_name = "TestShim" + name[len("_Test"):]
        attrs = {"__module__": __name__, "TYPE": "manager"}
        cls = type(test_name, bases, attrs)
        for attr, reason in SKIPPED_TESTS.items():
            if hasattr(cls, attr):
                setattr(cls, attr, unittest.skip(reason)(getattr(cls, attr)))
        globals()[test_name] = cls


_install()


class TestShimSyncManagerTypes(T.TestSyncManagerTypes):
    """TestSyncManagerTypes, whose setUp starts `multiprocessing.managers.SyncManager()`: ours after install()."""

    def test_manager_is_the_shims(self):
        shim = importlib.import_module("multiprocess_dotnet.dill_managers") if DILL else multiprocess_dotnet
        self.assertIsInstance(self.manager, shim.SyncManager)


class TestShimInitializers(T.TestInitializers):
    """TestInitializers: start(initializer, initargs) runs the initializer in a process of its own before the server
    serves (the shim's server has no Python process of its own), and Pool(initializer=...) as the stdlib's."""


def test_skipped_classes_still_exist():
    for name in SKIPPED_CLASSES:
        base = getattr(T, name, None)
        assert base is not None and "manager" in getattr(base, "ALLOWED_TYPES", ()), name
    print("not run with the shim's manager: %s" % SKIPPED_CLASSES)


def teardown_module(module):
    gc.collect()
