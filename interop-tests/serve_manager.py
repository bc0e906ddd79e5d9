"""Managers whose start() runs `multiprocess serve` as their server process, as a stock BaseManager.start() runs a
Python one: CPython's tests that start their own manager (MyManager, start(initializer, initargs)) then run
unchanged against the C# server. The subclass's registry reaches the server as `--manager module:Class`; an
initializer as `--initializer module:name` with its arguments pickled (`--initargs pickle:HEX`)."""
import importlib
import inspect
import subprocess

import peer_compat
from conftest import PEER_LIB
from manager_server_helpers import ServerProcess

managers = importlib.import_module(PEER_LIB + ".managers")
util = importlib.import_module(PEER_LIB + ".util")
reduction = importlib.import_module(PEER_LIB + ".reduction")


class ServeProcess:
    """Stands where BaseManager keeps its server process (`manager._process`): the `multiprocess serve` child."""

    def __init__(self, server):
        self._server = server
        self.pid = server.proc.pid
        self.name = "multiprocess serve"

    def is_alive(self):
        return self._server.alive()

    def join(self, timeout=None):
        try:
            self._server.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    @property
    def exitcode(self):
        return self._server.proc.poll()

    def terminate(self):
        self._server.proc.terminate()

    def kill(self):
        self._server.proc.kill()


class ServeStartMixin:
    """start(initializer=None, initargs=()) that runs `multiprocess serve` with this class's registry."""

    serve_family = "abstract" if PEER_LIB == "multiprocess" else "unix"

    def start(self, initializer=None, initargs=()):
        if self._state.value != managers.State.INITIAL:
            raise managers.ProcessError("Already started server")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        cls = getattr(type(self), "_serve_base", None) or type(self)     # importable by module:qualname
        extra = ["--manager", "%s:%s" % (cls.__module__, cls.__qualname__)]
        if PEER_LIB == "multiprocess":
            # multiprocess 0.70.12's test module imports only after peer_compat.install(): run that first, then the
            # initializer, unpickled only then (peer_compat.install_then_call).
            initargs = (bytes(reduction.ForkingPickler.dumps((initializer, tuple(initargs)))),)
            initializer = peer_compat.install_then_call
        if initializer is not None:
            extra += ["--initializer", "%s:%s" % (initializer.__module__, initializer.__qualname__),
                      "--initargs", "pickle:" + bytes(reduction.ForkingPickler.dumps(tuple(initargs))).hex()]
        server = ServerProcess(self.serve_family, authkey=bytes(self._authkey), extra=extra)
        self._serve = server
        self._address = server.address
        self._process = ServeProcess(server)
        self._state.value = managers.State.STARTED
        args = [self._process, self._address, self._authkey, self._state, self._Client]
        if len(inspect.signature(managers.BaseManager._finalize_manager).parameters) > 5:
            args.append(getattr(self, "_shutdown_timeout", 1.0))
        self.shutdown = util.Finalize(self, type(self)._finalize_manager, args=tuple(args), exitpriority=0)

    def join(self, timeout=None):
        self._process.join(timeout)


def serve_manager_class(base):
    """A subclass of `base` (a BaseManager subclass importable by module:qualname) started as `multiprocess serve`."""
    return type("Serve" + base.__name__, (ServeStartMixin, base), {"_serve_base": base, "__module__": base.__module__})
