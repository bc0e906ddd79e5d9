"""Managers whose server is the .NET engine: drop-in subclasses of multiprocessing's.

`SyncManager`, `BaseManager` and `SharedMemoryManager` keep the stdlib's signatures, registry, proxies and client
side; only the server changes: the engine's manager server (dotnet/src/Multiprocess/Managers), where every client
connection is served by a .NET thread and SyncManager's types (dict, list, Queue, Lock, ...) run in C# without the
GIL. Type ids registered with a Python callable of their own (and `Pool`) are made and run in this interpreter, as
CPython's server would, with the GIL taken only for them.

Two server modes (`server_mode()`; docs/native.md):
- 'inprocess' (under spawn and forkserver): the server runs in this process, the engine loaded with ctypes: no server
  process at all. This process must then not fork (_forksafety).
- 'process' (under fork, Linux's default before 3.14): as CPython does, the server is a process of its own
  (_server_process.py: the engine's launcher), so this process never loads .NET and may fork freely; the server
  forwards the Python type ids' calls here, where they run on threads of their own.
MULTIPROCESS_DOTNET_SERVER=process|inprocess chooses one for every manager ('auto', the default, decides as above).

The proxies are CPython's own classes: they work here, in spawned children, and in any process that connects. The
managers register them through _proxy.py, which gives them a leaner client path (a subclass of the same name over a
LeanConnection of _connection.py, the same bytes on the wire) here and in the children this process starts.

The dill flavour: the same classes over `multiprocess`'s managers are in `multiprocess_dotnet.dill_managers`
(_flavour.py says what differs); `Manager(ctx=multiprocess.get_context())` gives one of them.
"""
import importlib
import itertools
import os
import threading

from multiprocessing import managers as _stdlib

from . import _flavour, _proxy
from ._start import SERVER_MODES, Manager, server_mode  # noqa: F401 (Manager() begins its server before importing us)

__all__ = ["BaseManager", "SyncManager", "SharedMemoryManager", "Manager", "native_typeids", "server_mode"]

_registry_keys = itertools.count(1)      # the keys this process files servers' Python callables under (_pyhost)


def _new_engine(mode, library):
    if mode == "process":
        from ._server_process import ServerProcess
        return ServerProcess(library)
    from . import _engine
    return _engine.engine()


def native_typeids(library="multiprocessing"):
    """The type ids the engine serves in C# when they keep the library's own callable (SyncManager's, Pool
    excepted): `multiprocess` registers its own Namespace, Value and Array classes."""
    registry = importlib.import_module(library + ".managers").SyncManager._registry
    return {typeid: entry[0] for typeid, entry in registry.items() if typeid != "Pool" and entry[0] is not None}


def _address_text(address):
    """A Python address as the engine's text form: host:port, [v6]:port, a path with '/', or @abstract."""
    if address is None:
        return None
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        host = host or "0.0.0.0"
        return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    if isinstance(address, bytes):
        address = os.fsdecode(address)
    if isinstance(address, str):
        if address.startswith("\0"):
            return "@" + address[1:]
        return address if "/" in address else "./" + address
    raise TypeError("unsupported manager address %r: use (host, port), a path, or '\\0name'" % (address,))


class _ServerProcess:
    """Stands where the stdlib keeps the manager's server process (`manager._process`): the .NET server, in this
    process or in its own. `exitcode` is 0 once the server stopped, None while it serves; `pid` is the process the
    server runs in."""

    def __init__(self, server):
        self._server = server
        self.pid = server.pid
        self.name = "DotnetManagerServer"

    def is_alive(self):
        return not self._server.stopped

    def join(self, timeout=None):
        self._server.wait(timeout)

    @property
    def exitcode(self):
        return 0 if self._server.stopped else None

    def terminate(self):
        self._server.shutdown()

    kill = terminate


class DotnetServer:
    """A .NET manager server (what `get_server()` returns): `address`, `serve_forever()`, `shutdown()`; in this
    process (mode 'inprocess') or in a server process of its own ('process'), see server_mode()."""

    def __init__(self, registry, address, authkey, serializer="pickle", shared_memory=False, mode="inprocess",
                 library="multiprocessing"):
        if serializer not in ("pickle", "xmlrpclib"):
            raise ValueError("unknown serializer %r: the manager server speaks 'pickle' and 'xmlrpclib'" % (serializer,))
        # Either way the server answers each connection in the serializer of its first request (docs/xmlrpc.md).
        self.mode = mode
        self.library = library
        self._engine = _new_engine(mode, library)
        self.pid = getattr(self._engine, "pid", None) if mode == "process" else os.getpid()
        self._stopped = threading.Event()
        native = native_typeids(library)
        python_types = {}
        registrations = []
        for typeid, (callable_, exposed, method_to_typeid, _proxytype) in registry.items():
            if typeid in native and callable_ is native[typeid]:
                continue                            # served in C#
            if callable_ is None and typeid in ("Iterator", "AsyncResult"):
                continue                            # the engine has these (results of dict/Pool methods)
            if callable_ is not None:
                python_types[typeid] = callable_
            registrations.append((typeid, callable_ is not None, None if exposed is None else tuple(exposed),
                                  None if method_to_typeid is None else dict(method_to_typeid)))
        # The Python callables are filed first, under a key of ours: a client may ask for one as soon as it listens.
        self._registry = next(_registry_keys)
        self._engine.register_python_types(self._registry, python_types, library)
        try:
            # new + register + start in one request: one round trip to a server process (ControlRequests.cs)
            self._handle, bound = self._engine.call("server_open", _address_text(address), bytes(authkey),
                                                    bool(shared_memory), 128,
                                                    os.environ.get("MULTIPROCESS_DOTNET_LOG") or None,
                                                    tuple(registrations), self._registry)
        except BaseException:
            self._engine.forget_server(self._registry)
            if mode == "process":
                self._engine.close()
            raise
        self.address = tuple(bound) if isinstance(bound, tuple) else bound
        if address is not None and not (isinstance(address, tuple) and address[1] == 0):
            self.address = address                  # the spelling the user chose, as the stdlib keeps it
        importlib.import_module(library + ".util").info("manager serving at %r (.NET, in process %d)", self.address,
                                                         self.pid)

    @property
    def listener(self):
        """CPython's `Server.listener` (its `address` and `close()`): this server accepts and serves from the start,
        so closing its listener stops it, and frees the address (e.g. for a server restarted on it)."""
        return _Listener(self)

    @property
    def stopped(self):
        return self._stopped.is_set() or self.info()["stopped"]

    def info(self):
        """{'address', 'number_of_objects', 'active_connections', 'stopped'} from the engine."""
        if self._stopped.is_set() or (self.mode == "process" and self._engine.poll() is not None):
            return {"address": self.address, "number_of_objects": 0, "active_connections": 0, "stopped": True}
        return self._engine.call("server_info", self._handle)

    def wait(self, timeout=None):
        """Blocks until the server stops (a client's shutdown, or shutdown()); returns whether it did."""
        if self._stopped.is_set():
            return True
        if self.mode == "process":                  # the server process ends when its server stops
            return self._engine.wait(timeout)
        remaining = timeout
        while remaining is None or remaining > 0:
            step = 0.25 if remaining is None else min(0.25, remaining)
            if self._engine.call("server_wait", self._handle, step):
                return True
            if remaining is not None:
                remaining -= step
        return False

    def serve_forever(self):
        """Serves until a client calls shutdown or this process is interrupted, then stops (as the stdlib's)."""
        try:
            self.wait()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def shutdown(self):
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self.mode == "process":
            try:
                if self._engine.poll() is None:
                    self._engine.call("server_shutdown", self._handle)
            except Exception:
                pass                                 # it ended meanwhile: close() reaps it
            finally:
                self._engine.close()
            return
        try:
            self._engine.call("server_shutdown", self._handle)
        finally:
            self._engine.forget_server(self._registry)


class _Listener:
    """DotnetServer.listener."""

    def __init__(self, server):
        self._server = server
        self.address = server.address

    def close(self):
        self._server.shutdown()


class _DotnetServerMixin:
    """start() and get_server() of the stdlib's managers (or of `multiprocess`'s: the library of the class this
    mixes into), with the server on .NET threads."""

    _dotnet_shared_memory = False

    @classmethod
    def _dotnet_library(cls):
        """'multiprocessing' or 'multiprocess', and that library's managers module."""
        library = _flavour.library_of(cls)
        return library, importlib.import_module(library + ".managers")

    @classmethod
    def register(cls, typeid, callable=None, proxytype=None, exposed=None, method_to_typeid=None,
                 create_method=True):
        """The library's register(), with the lean proxy type (_proxy.py) for its AutoProxy and its own proxy
        classes; a proxy class of yours is kept as it is."""
        library, managers = cls._dotnet_library()
        proxytype = _proxy.lean_proxytype(proxytype or managers.AutoProxy, library)
        super().register(typeid, callable, proxytype, exposed, method_to_typeid, create_method)

    def _check_initial(self):
        """The stdlib's errors for a manager that is not in its initial state."""
        managers = self._dotnet_library()[1]
        if self._state.value != managers.State.INITIAL:
            if self._state.value == managers.State.STARTED:
                raise managers.ProcessError("Already started server")
            if self._state.value == managers.State.SHUTDOWN:
                raise managers.ProcessError("Manager has shut down")
            raise managers.ProcessError("Unknown state {!r}".format(self._state.value))

    def _new_server(self):
        library = self._dotnet_library()[0]
        return DotnetServer(self._registry, self._address, self._authkey, self._serializer,
                            self._dotnet_shared_memory, server_mode(self._ctx, library), library)

    def get_server(self):
        self._check_initial()
        return self._new_server()

    def start(self, initializer=None, initargs=()):
        self._check_initial()
        if initializer is not None:
            if not callable(initializer):
                raise TypeError("initializer must be a callable")
            self._run_initializer(initializer, initargs)
        server = self._new_server()
        managers = self._dotnet_library()[1]
        self._dotnet_server = server
        self._address = server.address
        self._process = _ServerProcess(server)
        self._state.value = managers.State.STARTED
        # The library's own Finalize: its exit handler (multiprocessing.util._exit_function, or multiprocess's) runs it.
        self.shutdown = managers.util.Finalize(self, _finalize_dotnet_manager,
                                               args=(server, self._address, self._state, managers), exitpriority=0)

    def _run_initializer(self, initializer, initargs):
        """start(initializer, initargs): CPython calls it in the manager's server process before the server is made.
        This server has no Python process of its own (its Python referents run in this interpreter), and the
        initializer must not run here (it may ignore signals, change globals: the server process's business), so it
        runs in a process of its own, started with the manager's context, before the server is made; start() fails
        with ProcessError if it raised. Under fork with .NET loaded in this process (server mode 'inprocess'), that
        process is spawned instead (docs/python-host.md, "The shim's start")."""
        library, managers = self._dotnet_library()
        mp = importlib.import_module(library)
        ctx = self._ctx or mp.get_context()
        if ctx.get_start_method() == "fork" and server_mode(self._ctx, library) == "inprocess":
            ctx = mp.get_context("spawn")
        process = ctx.Process(target=initializer, args=tuple(initargs), name="ManagerInitializer")
        process.start()
        process.join()
        if process.exitcode != 0:
            raise managers.ProcessError("the manager's initializer %r failed in its process (exit code %s)"
                                        % (initializer, process.exitcode))

    def join(self, timeout=None):
        """Waits for the server to stop (there is no server process to join)."""
        server = getattr(self, "_dotnet_server", None)
        if server is not None:
            server.wait(timeout)


def _finalize_dotnet_manager(server, address, state, managers):
    managers.util.info("shutting down the .NET manager server at %r", address)
    server.shutdown()
    state.value = managers.State.SHUTDOWN
    try:
        del managers.BaseProxy._address_to_local[address]
    except KeyError:
        pass


class BaseManager(_DotnetServerMixin, _stdlib.BaseManager):
    """multiprocessing.managers.BaseManager with its server in this process on .NET threads."""


class SyncManager(_DotnetServerMixin, _stdlib.SyncManager):
    """multiprocessing.managers.SyncManager with its server in this process on .NET threads: dict, list, Queue, Lock,
    ... are served in C# with no GIL; Pool and your own registered callables run in this interpreter."""


class SharedMemoryManager(_DotnetServerMixin, _stdlib.SharedMemoryManager):
    """multiprocessing.managers.SharedMemoryManager with the segment-tracking server in .NET: every segment made
    through it is unlinked when the manager shuts down."""

    _dotnet_shared_memory = True


for _cls in (BaseManager, SyncManager, SharedMemoryManager):
    _proxy.lean_registry(_cls, "multiprocessing")   # the stdlib's own proxy types, over the lean client (_proxy.py)
