"""The Python side of the engine's Python-backed referents (docs/python-host.md): the objects only Python can run.

One contract, two transports. `Referents.run(request)` executes one verb of the table below; the engine sends the
requests either through the shim's in-process callback (_engine.py: the manager server runs inside this interpreter)
or over a pipe to a separate *host* process that `multiprocess serve` starts (`main()` here: the C# server keeps every
SyncManager type native and drives this process only for Pool, Barrier actions and registered callables).

    ('create', registry, typeid, args, kwargs)        -> (handle, public_methods)  registry[typeid](*args, **kwargs)
    ('keep', value)                                   -> (handle, public_methods)  keeps an unpickled value
    ('call', handle, name, args, kwargs, keep_result) -> result, or (handle, public_methods) when keep_result
    ('getvalue' | 'repr' | 'str', handle)             -> obj, repr(obj), str(obj)
    ('release', handle)                               -> None (one reference fewer; the last one drops the object)

This file is self-contained (stdlib only) because the engine also embeds it and runs it with `python -c`: a user of
the CLI needs no package installed in the host's interpreter beyond the peer library (multiprocessing or multiprocess).
The workers of the server's Pools import it as a module (`_multiprocess_pyhost`, the same text written to a file by
the engine, HostSource.cs) for `initialize`.
"""
import importlib
import os
import pickle
import struct
import sys
import tempfile
import threading
import traceback

__all__ = ["Referents", "public_methods", "initialize", "main"]

_HEADER = struct.Struct(">IQ")          # payload length, request id (0: the start-up exchange)
_MAX_FRAME = 1 << 31


def public_methods(obj):
    """multiprocessing.managers.public_methods: the callable attributes not starting with '_'."""
    return [name for name in dir(obj) if name[0] != "_" and callable(getattr(obj, name, None))]


class Referents:
    """handle -> [object, references the engine holds]; registries of type ids -> callables."""

    def __init__(self):
        self._objects = {}
        self._registries = {}
        self._lock = threading.Lock()
        self.pool_types = ()                 # Pool classes whose blocking calls may be answered by run_deferred

    def run_deferred(self, request, finish):
        """Pool.map/starmap/apply, answered from the Pool's result thread: the call is submitted with the *_async
        method and `finish(status, value)` (status 0 the result, 1 the exception) runs from its callback, as soon as
        the result came. The thread that submitted it is free at once, and the reply costs no wake-up of a thread
        blocked in get(). Returns False (run() it instead) for any other request, and for arguments the blocking
        method would refuse (its own TypeError is then the answer)."""
        if request[0] != "call" or request[5] or not self.pool_types:
            return False
        _, handle, name, args, kwargs, _ = request
        entry = self._objects.get(handle)
        if (name not in _DEFERRABLE or entry is None or not isinstance(entry[0], self.pool_types)
                or len(args) > 3 or not set(kwargs) <= _DEFERRABLE[name]):
            return False
        once = threading.Lock()

        def done(status, value):
            if once.acquire(False):
                try:
                    finish(status, value)
                except BaseException:        # never into the Pool's result thread: it would stop serving results
                    pass

        result = getattr(entry[0], name + "_async")(*args, callback=lambda v: done(0, v),
                                                    error_callback=lambda e: done(1, e), **kwargs)
        if result.ready():                   # an empty map is ready at once and calls no callback
            done(0 if result.successful() else 1, result._value)
        return True

    def keep(self, obj):
        handle = id(obj)
        with self._lock:
            entry = self._objects.get(handle)
            if entry is None:
                self._objects[handle] = [obj, 1]
            else:
                entry[1] += 1
        return handle, public_methods(obj)

    def register(self, registry, callables):
        self._registries[registry] = dict(callables)

    def forget(self, registry):
        self._registries.pop(registry, None)

    def clear(self):
        with self._lock:
            self._objects.clear()

    def __len__(self):
        return len(self._objects)

    def run(self, request):
        verb = request[0]
        if verb == "create":
            _, registry, typeid, args, kwargs = request
            return self.keep(self._registries[registry][typeid](*args, **kwargs))
        if verb == "keep":
            return self.keep(request[1])
        obj = self._objects[request[1]][0]
        if verb == "call":
            _, _, name, args, kwargs, keep = request
            result = getattr(obj, name)(*args, **kwargs)
            return self.keep(result) if keep else result
        if verb == "getvalue":
            return obj
        if verb == "repr":
            return repr(obj)
        if verb == "str":
            return str(obj)
        if verb == "release":
            with self._lock:
                entry = self._objects[request[1]]
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._objects[request[1]]
            return None
        raise ValueError("unknown referent verb %r" % (verb,))


# -- the host process: `python -c <this file>` started by the engine's PythonHost ---------------------------------------

def _resolve(spec, what):
    """'package.module:qual.name' -> the object."""
    module_name, sep, qualname = spec.partition(":")
    if not sep or not module_name or not qualname:
        raise ValueError("%s %r is not of the form module:name" % (what, spec))
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def initialize(initializer, initargs, then=None, then_args=()):
    """The server's initializer, `initializer` ('module:name', `serve --initializer`) called with `initargs` (its
    --initargs text, _initargs), then `then(*then_args)` when given. main() calls it before serving; the workers of the
    server's Pools call it too, with their Pool's own initializer as `then` (ServedPool.cs): CPython forks a manager's
    Pool workers from its server process after the initializer ran there, while these come from a forkserver, so they
    import this file (written next to the engine's other temporary files) and run it first."""
    if initializer:
        _resolve(initializer, "initializer")(*_initargs(initargs))
    if then is not None:
        then(*then_args)


def _registrations(mp, registers, managers):
    """The type ids the server registers for this host: [(typeid, callable, exposed, method_to_typeid)]."""
    managers_module = importlib.import_module(mp.__name__ + ".managers")
    native = managers_module.SyncManager._registry
    out = []
    for spec in managers:                    # a BaseManager subclass: every entry that is not SyncManager's own
        cls = _resolve(spec, "manager class")
        for typeid, (callable_, exposed, method_to_typeid, _proxytype) in cls._registry.items():
            if typeid in native and native[typeid][0] is callable_:
                continue
            out.append((typeid, callable_, exposed, method_to_typeid))
    for typeid, callable_spec, proxy_spec in registers:   # BaseManager.register(typeid, callable, proxytype)
        proxytype = _resolve(proxy_spec, "proxytype") if proxy_spec else None
        exposed = getattr(proxytype, "_exposed_", None)
        method_to_typeid = getattr(proxytype, "_method_to_typeid_", None)
        out.append((typeid, _resolve(callable_spec, "callable"), exposed, method_to_typeid))
    return out


class _Channel:
    """Requests from one pipe: header (length, request id) then the pickle. Reads are buffered (one read(2) brings a
    whole small frame, often several); one thread reads at a time (the caller's lock, or a lane of its own)."""

    def __init__(self, rfd):
        self._rfd = rfd
        self._buf = bytearray()

    def _fill(self, n):
        while len(self._buf) < n:
            chunk = os.read(self._rfd, max(1 << 16, n - len(self._buf)))
            if not chunk:
                return False
            self._buf += chunk
        return True

    def recv(self):
        if not self._fill(_HEADER.size):
            return None, None
        length, rid = _HEADER.unpack_from(self._buf)
        if not self._fill(_HEADER.size + length):
            return None, None
        payload = bytes(self._buf[_HEADER.size:_HEADER.size + length])
        del self._buf[:_HEADER.size + length]
        return rid, payload


class _Replies:
    """Replies on one pipe, from any thread: header, status byte and pickle in one writev(2), no copies."""

    def __init__(self, wfd):
        self._wfd = wfd
        self._lock = threading.Lock()

    def send(self, rid, status, data):
        parts = [_HEADER.pack(len(data) + 1, rid), _STATUS[status], data]
        total = _HEADER.size + 1 + len(data)
        with self._lock:
            written = os.writev(self._wfd, parts)
            if written < total:             # a large reply: the rest in plain writes
                rest = memoryview(b"".join(parts))[written:]
                while rest:
                    rest = rest[os.write(self._wfd, rest):]


_STATUS = (b"\0", b"\1", b"\2")

# The blocking Pool methods run_deferred answers from a callback, and the keyword arguments each accepts.
_DEFERRABLE = {"map": {"func", "iterable", "chunksize"}, "starmap": {"func", "iterable", "chunksize"},
               "apply": {"func", "args", "kwds"}}


class _Serving:
    """Leader/followers: the thread that reads a request runs it itself, after handing the reading to an idle thread
    (one is started when none is left). Calls may block (Pool.map, AsyncResult.get, a Barrier's action) without
    holding up the others, and a quick call costs no thread hand-off on its way."""

    def __init__(self, channel, work):
        self._channel = channel
        self._work = work
        self._read_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._waiting = 0                    # threads waiting to read (or reading)
        self.ended = threading.Event()

    def spawn(self):
        with self._count_lock:
            self._waiting += 1
        threading.Thread(target=self._loop, name="pyhost worker", daemon=True).start()

    def _loop(self):
        while True:
            with self._read_lock:
                if self.ended.is_set():
                    return
                rid, payload = self._channel.recv()
                if payload is None:
                    self.ended.set()
                    return
                with self._count_lock:
                    self._waiting -= 1
                    spawn = self._waiting == 0
            if spawn:
                self.spawn()
            self._work(rid, payload)
            with self._count_lock:
                self._waiting += 1


def main(argv=None):
    """The host: requests on fd 0 and on a FIFO (the overflow lane), replies on fd 1 (moved aside at once: user code
    printing goes to stderr).

    Two request lanes (docs/python-host.md, "Host transport"): the server sends a request on stdin only when no other
    call is running there, and this main thread runs it itself, so a call costs one thread wake-up in this process;
    a request that arrives while that call runs (a Pool.map, a blocking get) comes through the FIFO, whose threads
    take turns reading and running (_Serving), so a blocked call never holds up the others."""
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    try:
        os.setsid()          # its own process group: the server can end orphaned Pool workers if the host dies
    except OSError:
        pass
    lane_dir = tempfile.mkdtemp(prefix="mp-pyhost-")
    lane_path = os.path.join(lane_dir, "requests")
    os.mkfifo(lane_path, 0o600)
    lane_fd = os.open(lane_path, os.O_RDWR)   # also a writer of its own: reads block, never see EOF before the server opens it
    if hasattr(os, "register_at_fork"):      # forked Pool workers must not hold the server's pipes open
        os.register_at_fork(after_in_child=lambda: (_close(rfd), _close(wfd), _close(lane_fd)))
    channel = _Channel(rfd)
    replies = _Replies(wfd)
    rid, payload = channel.recv()
    if payload is None:
        _remove_lane(lane_path, lane_dir)
        return 0
    _, flavour, authkey, registers, managers, initializer, initargs = pickle.loads(payload)
    table = Referents()
    try:
        mp = importlib.import_module(flavour)
        reduction = importlib.import_module(flavour + ".reduction")
        pool = importlib.import_module(flavour + ".pool")
        mp.current_process().authkey = authkey   # proxies unpickled here connect back to the server with its key
        dumps = reduction.ForkingPickler.dumps
        # The flavour's loads: dill names the globals of a client's __main__ functions `__builtin__.__main__`, which
        # only dill's Unpickler resolves (multiprocess_dotnet/_flavour.py); for multiprocessing it is pickle.loads.
        loads = reduction.ForkingPickler.loads
        initialize(initializer, initargs)    # before the registrations: it may prepare their imports
        registrations = _registrations(mp, registers, managers)
        callables = {"Pool": pool.Pool}
        callables.update((typeid, c) for typeid, c, _, _ in registrations if c is not None)
        table.register(0, callables)
        table.pool_types = (pool.Pool,)
        described = [(t, c is not None, None if e is None else tuple(e), None if m is None else dict(m))
                     for t, c, e, m in registrations]
        hello = (os.getpid(), sys.version.split()[0], sys.executable, described, lane_path)
        replies.send(0, 0, pickle.dumps(hello, 4))
    except BaseException as e:
        _remove_lane(lane_path, lane_dir)
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        replies.send(0, 2, pickle.dumps("the Python host could not start: " + text, 4))
        return 1

    def answer(rid, status, value):
        try:
            status, data = (0, dumps(value)) if status == 0 else _dump_exception(value, dumps)
        except BaseException as e:           # the result could not be pickled
            status, data = _dump_exception(e, dumps)
        try:
            replies.send(rid, status, data)
        except OSError:
            pass                              # the server is gone; main() ends on EOF

    def work(rid, payload):
        try:
            request = loads(payload)
            if table.run_deferred(request, lambda status, value: answer(rid, status, value)):
                return                        # answered from the Pool's result thread
            status, value = 0, table.run(request)
        except BaseException as e:           # every failure is a reply: the server's caller gets it as a Python error
            status, value = 1, e
        answer(rid, status, value)

    _Serving(_Channel(lane_fd), work).spawn()
    while True:                               # the inline lane: the server's next request once the last one answered
        rid, payload = channel.recv()
        if payload is None:
            break
        work(rid, payload)
    _remove_lane(lane_path, lane_dir)         # normally the server removed it once opened
    table.clear()
    return 0


def _remove_lane(path, folder):
    for remove, what in ((os.unlink, path), (os.rmdir, folder)):
        try:
            remove(what)
        except OSError:
            pass


def _dump_exception(e, dumps):
    """An exception for the server, which reads its class: the stdlib's pickle names it with a global (dill would
    pickle builtin classes by value); the flavour's pickler only when that fails; else its traceback as text."""
    for dump in (lambda obj: pickle.dumps(obj, 4), dumps):
        try:
            return 1, dump(e)
        except BaseException:
            pass
    return 2, pickle.dumps("".join(traceback.format_exception(type(e), e, e.__traceback__)), 4)


def _initargs(text):
    """--initargs: a Python literal (a tuple, or one value), or 'pickle:' + the hex of a pickled tuple (what a
    launcher passes for start(initializer, initargs) when the arguments are proxies or other objects)."""
    if not text:
        return ()
    if text.startswith("pickle:"):
        return tuple(pickle.loads(bytes.fromhex(text[len("pickle:"):])))
    value = importlib.import_module("ast").literal_eval(text)
    return value if isinstance(value, tuple) else (value,)


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
