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
"""
import importlib
import os
import pickle
import struct
import sys
import threading
import traceback

__all__ = ["Referents", "public_methods", "main"]

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
    """Frames over the two pipe fds: header (length, request id) then the pickle; writes from any thread."""

    def __init__(self, rfd, wfd):
        self._rfd, self._wfd = rfd, wfd
        self._wlock = threading.Lock()

    def _read_exact(self, n):
        chunks = []
        while n:
            chunk = os.read(self._rfd, min(n, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def recv(self):
        header = self._read_exact(_HEADER.size)
        if header is None:
            return None, None
        length, rid = _HEADER.unpack(header)
        payload = self._read_exact(length) if length else b""
        if payload is None:
            return None, None
        return rid, payload

    def send(self, rid, payload):
        data = memoryview(_HEADER.pack(len(payload), rid) + payload)
        with self._wlock:
            while data:
                data = data[os.write(self._wfd, data):]


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

    def start(self):
        self._spawn()
        self.ended.wait()

    def _spawn(self):
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
                self._spawn()
            self._work(rid, payload)
            with self._count_lock:
                self._waiting += 1


def main(argv=None):
    """The host: requests on fd 0, replies on fd 1 (moved aside at once: user code printing goes to stderr)."""
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    try:
        os.setsid()          # its own process group: the server can end orphaned Pool workers if the host dies
    except OSError:
        pass
    if hasattr(os, "register_at_fork"):      # forked Pool workers must not hold the server's pipe open
        os.register_at_fork(after_in_child=lambda: (_close(rfd), _close(wfd)))
    channel = _Channel(rfd, wfd)
    rid, payload = channel.recv()
    if payload is None:
        return 0
    _, flavour, authkey, registers, managers, initializer, initargs = pickle.loads(payload)
    table = Referents()
    try:
        mp = importlib.import_module(flavour)
        reduction = importlib.import_module(flavour + ".reduction")
        pool = importlib.import_module(flavour + ".pool")
        mp.current_process().authkey = authkey   # proxies unpickled here connect back to the server with its key
        dumps = reduction.ForkingPickler.dumps
        if initializer:                      # before the registrations: it may prepare their imports
            _resolve(initializer, "initializer")(*_initargs(initargs))
        registrations = _registrations(mp, registers, managers)
        callables = {"Pool": pool.Pool}
        callables.update((typeid, c) for typeid, c, _, _ in registrations if c is not None)
        table.register(0, callables)
        described = [(t, c is not None, None if e is None else tuple(e), None if m is None else dict(m))
                     for t, c, e, m in registrations]
        channel.send(0, b"\0" + pickle.dumps((os.getpid(), sys.version.split()[0], sys.executable, described), 4))
    except BaseException as e:
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        channel.send(0, b"\2" + pickle.dumps("the Python host could not start: " + text, 4))
        return 1

    def work(rid, payload):
        try:
            status, data = 0, dumps(table.run(pickle.loads(payload)))
        except BaseException as e:           # every failure is a reply: the server's caller gets it as a Python error
            status, data = _dump_exception(e, dumps)
        try:
            channel.send(rid, bytes((status,)) + bytes(data))
        except OSError:
            pass                              # the server is gone; main() ends on EOF

    _Serving(channel, work).start()
    table.clear()
    return 0


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
