"""CPython's own tests of the xmlrpclib serializer and of restarts (Lib/test/_test_multiprocessing.py:
_TestRemoteManager, _TestManagerRestart; for `multiprocess`, its port in multiprocess/tests) with their manager
server being `multiprocess serve`: the test module's QueueManager is replaced, for the duration of each test, by a
subclass whose start() and get_server() start `multiprocess serve --serializer xmlrpclib --singleton
get_queue=Queue` on the requested address, as CPython's start() starts a server process; its shutdown() sends the
'shutdown' request over XML-RPC and waits for the server to exit. Everything else (QueueManager2, the clients in
child processes, the assertions) is CPython's, unchanged.
"""
import errno
import importlib
import unittest

import pytest

from conftest import PEER_LIB
from manager_server_helpers import ServerProcess, to_cli, watchdog
from test_manager_server_cpython import T, SKIPPED_CLASSES

managers = importlib.import_module(PEER_LIB + ".managers")

CLASSES = ["_TestRemoteManager", "_TestManagerRestart"]
SERVE_ARGS = ["--serializer", "xmlrpclib", "--singleton", "get_queue=Queue", "--no-python"]


class _ServedListener:
    """What get_server().listener stands for: closing it stops the server process and frees the address."""

    def __init__(self, served):
        self._served = served

    def close(self):
        self._served.stop()


class _ServedServer:
    """get_server()'s result: a `multiprocess serve` already listening on the manager's address."""

    def __init__(self, served):
        self.address = served.address
        self.listener = _ServedListener(served)


def _serve(manager):
    try:
        return ServerProcess(address=to_cli(manager._address), authkey=bytes(manager._authkey), extra=SERVE_ARGS)
    except AssertionError as e:
        if "Address already in use" in str(e):
            raise OSError(errno.EADDRINUSE, f"multiprocess serve could not bind {manager._address}: {e}") from e
        raise


class ServedQueueManager(T.QueueManager):
    """T.QueueManager whose server is `multiprocess serve` (its get_queue: one shared Queue, as CPython's module-level queue)."""

    def get_server(self):
        return _ServedServer(_serve(self))

    def start(self, initializer=None, initargs=()):
        assert self._state.value == managers.State.INITIAL
        served = _serve(self)
        self._address = served.address
        self._state.value = managers.State.STARTED

        def shutdown():
            if served.alive():
                try:
                    conn = self._Client(self._address, authkey=self._authkey)
                    try:
                        managers.dispatch(conn, None, "shutdown")
                    finally:
                        conn.close()
                except (OSError, EOFError):
                    pass
            served.stop()
            self._state.value = managers.State.SHUTDOWN

        self.shutdown = shutdown


class ServedQueueManagerMixin(T.ManagerMixin):
    """CPython's ManagerMixin without its shared manager (these tests start their own), T.QueueManager replaced."""

    @classmethod
    def setUpClass(cls):
        T.BaseMixin.setUpClass.__func__(cls)
        cls.manager = None

    @classmethod
    def tearDownClass(cls):
        T.BaseMixin.tearDownClass.__func__(cls)

    def setUp(self):
        self._original = T.QueueManager
        T.QueueManager = ServedQueueManager
        self.addCleanup(setattr, T, "QueueManager", self._original)
        super().setUp()


def _install():
    for name in CLASSES:
        base = getattr(T, name)
        assert name not in SKIPPED_CLASSES, f"{name} runs here; it must not be listed as skipped"
        test_name = "TestCSharpManager" + name[len("_Test"):]
        globals()[test_name] = type(test_name, (base, ServedQueueManagerMixin, unittest.TestCase), {"__module__": __name__})


_install()


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield
