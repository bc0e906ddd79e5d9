"""The client side of the shim's proxies: CPython's proxy classes over a leaner connection (issue 12).

A worker's proxy call costs it ~20 µs of CPU with the stock client path (docs/shim-steady-state.md, "The client's
path"): `ForkingPickler.dumps` builds a BytesIO, a pickler and a copy of the dispatch table per call, and `recv`
makes two read(2) calls into two BytesIO. The shim's managers hand out the stock proxy classes' instances with two
changes, both pure Python (a worker must not load the engine):
- `_Client` gives a `LeanConnection`: the connection the stock `Client` made and authenticated, whose `recv` reads
  header and body with one read(2) into a buffer it keeps (bytes past the message stay there for `poll()` and the
  next `recv`), and whose `send` (multiprocessing only) reuses one ForkingPickler per connection, writing header and
  pickle with one write(2). The bytes on the wire are the stock ones.
- the class is a subclass of the stock one (same name, so same repr; `isinstance` holds; no method changes) whose
  `__reduce__` makes a child process this one starts (Process arguments under spawn or forkserver) rebuild the lean
  proxy; pickled any other way (a queue, a pipe, a manager's dict) it is the stock pickle, so that any receiver,
  even one without this package, gets a working stock proxy.
Everything else is the stock code: thread-local connections and their reset after fork, `#PROXY` results,
`#ERROR`/`#TRACEBACK`, incref/decref, the authkey.
"""
import copyreg
import importlib
import io
import os
import struct
import threading

__all__ = ["lean_proxytype", "lean_registry", "leanify", "connection_class", "client_of"]

_BUFFER = 65536                 # the receive buffer: most replies fit, so one read(2) takes header and body
_header = struct.Struct("!i")   # connection.py _send_bytes: !i length; -1 => !Q follows
_long_header = struct.Struct("!Q")

_connection_classes = {}
_clients = {}
_lean_types = {}


class _DispatchTable:
    """ForkingPickler's dispatch table as of each lookup: copyreg's table updated with ForkingPickler's reducers,
    as `ForkingPickler.__init__` copies them per pickler; kept live since our pickler outlives later registrations.
    The C pickler asks it only for types it has no built-in code for (not for int, str, tuple, dict, ...)."""
    __slots__ = ("_extra",)

    def __init__(self, extra):
        self._extra = extra

    def __getitem__(self, cls):
        try:
            return self._extra[cls]
        except KeyError:
            return copyreg.dispatch_table[cls]


class _Writer:
    """The file a connection's pickler writes into: `write` appends to the connection's list of chunks."""
    __slots__ = ("write",)

    def __init__(self, write):
        self.write = write


def connection_class(library="multiprocessing"):
    """The LeanConnection class over `library`'s Connection ('multiprocessing' or 'multiprocess')."""
    cls = _connection_classes.get(library)
    if cls is None:
        cls = _connection_classes[library] = _make_connection_class(library)
    return cls


def _make_connection_class(library):
    connection = importlib.import_module(library + ".connection")
    reduction = importlib.import_module(library + ".reduction")
    forking_pickler = reduction.ForkingPickler
    loads = forking_pickler.loads
    # dill's pickler (multiprocess) is pure Python with per-dump state: no pickler is kept; plain values go through
    # C's pickle both ways (_plain.py), anything else through dill per message, as before.
    reuse_pickler = library == "multiprocessing"
    if not reuse_pickler:
        from . import _plain
        dill_loads, dill_dumps = loads, forking_pickler.dumps

        def loads(data):
            return _plain.loads_or(data, dill_loads)

        def dumps(obj):
            return _plain.dumps_or(obj, dill_dumps)
    else:
        dumps = forking_pickler.dumps
    readv = os.readv
    write = os.write
    writev = os.writev
    unpack_from = _header.unpack_from

    class LeanConnection(connection.Connection):
        """`connection.Connection` (a socket's fd) with a receive buffer and a reused pickler (module docstring).
        `poll()` and `recv_bytes()` see the bytes it buffered; `connection.wait()` looks at the descriptor only."""

        def __init__(self, handle, readable=True, writable=True):
            super().__init__(handle, readable, writable)
            self._rbuf = bytearray(_BUFFER)
            self._rview = memoryview(self._rbuf)
            self._rvecs = (self._rview,)    # readv's buffers when nothing is buffered
            self._rpos = 0                  # the next message starts here
            self._rend = 0                  # bytes read so far end here
            self._lent = 0                  # recv calls whose body is a view of _rbuf (a nested recv in loads)
            self._chunks = None
            self._pickler = None
            self._sending = False

        def send(self, obj):
            """Send a (picklable) object"""
            self._check_closed()
            self._check_writable()
            self._send_object(obj)

        def recv(self):
            """Receive a (picklable) object"""
            self._check_closed()
            self._check_readable()
            return self._recv_object()

        def _call(self, request):
            """send(request), then recv(): a proxy's call (_lean_callmethod), the usual case in this one frame."""
            handle = self._handle
            if handle is None:
                self._check_closed()
            pickler = self._pickler
            if pickler is None or self._sending:
                self._send_object(request)  # the first send, dill's pickler, or a reducer that sends
            else:
                chunks = self._chunks
                self._sending = True
                try:
                    pickler.dump(request)
                except BaseException:
                    chunks.clear()          # what a failed dump wrote (a frame) must not go out with the next
                    raise
                finally:
                    self._sending = False
                    pickler.clear_memo()    # the memo holds the request's objects: let them go now
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                self._write_message(data)
            if self._lent or self._rpos != self._rend:
                return self._recv_object()
            # The usual reply: nothing buffered, and one read(2) brings exactly one whole message.
            n = readv(handle, self._rvecs)
            if n >= 4 and unpack_from(self._rbuf, 0)[0] == n - 4:
                view = self._rview[4:n]
                self._lent = 1
                try:
                    return loads(view)
                finally:
                    self._lent = 0
                    view.release()
            if n == 0:
                raise EOFError
            self._rpos, self._rend = 0, n
            return self._recv_object()

        def _send_object(self, obj):
            if not reuse_pickler or self._sending:
                # the dill flavour, or a reducer that sends on this connection: a pickler of its own
                self._write_message(dumps(obj))
                return
            pickler = self._pickler
            if pickler is None:
                # The pickler writes into a list: one bytes object per pickle below 64 KiB (a frame), which goes out
                # after its length in one write(2).
                chunks = self._chunks = []
                pickler = self._pickler = forking_pickler(_Writer(chunks.append), None)
                pickler.dispatch_table = _DispatchTable(forking_pickler._extra_reducers)
            chunks = self._chunks
            self._sending = True
            try:
                pickler.dump(obj)
            except BaseException:
                chunks.clear()
                raise
            finally:
                self._sending = False
                pickler.clear_memo()
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            self._write_message(data)

        def _write_message(self, data):
            """connection.py _send_bytes: !i length (or -1 and !Q for more than 2 GiB), then the bytes; one write(2)
            where the kernel takes it all."""
            n = len(data)
            if n > 0x7fffffff:
                self._send_bytes(data)
                return
            if n <= 16384:
                message = _header.pack(n) + data
                sent = write(self._handle, message)
                if sent == len(message):
                    return
                self._send(memoryview(message)[sent:])
            else:                           # no copy of a large pickle: length and pickle in one writev(2)
                header = _header.pack(n)
                sent = writev(self._handle, (header, data))
                if sent < 4:
                    self._send(header[sent:])
                    sent = 4
                if sent - 4 < n:
                    self._send(memoryview(data)[sent - 4:])

        def _recv_object(self):
            view = self._take_message()
            self._lent += 1
            try:
                return loads(view)
            finally:
                self._lent -= 1
                view.release()

        def _fill(self, need):
            """Reads until `need` bytes from _rpos are buffered (they fit in the buffer); one read(2) if they came
            together. EOFError at a message boundary, OSError inside a message, as the stock _recv."""
            if self._rpos == self._rend:
                self._rpos = self._rend = 0
            elif self._rpos + need > len(self._rbuf):
                kept = self._rend - self._rpos   # move the start of this message to the front
                self._rbuf[:kept] = self._rbuf[self._rpos:self._rend]
                self._rpos, self._rend = 0, kept
            while self._rend - self._rpos < need:
                n = readv(self._handle, (self._rview[self._rend:],))
                if n == 0:
                    if self._rend == self._rpos:
                        raise EOFError
                    raise OSError("got end of file during message")
                self._rend += n

        def _take_message(self, maxsize=None):
            """The next message's body, consumed: a view of the buffer (or of a buffer of its own when larger), to
            release after use; None if it is longer than maxsize (nothing consumed: the caller closes)."""
            if self._lent:
                # A recv inside loads (a __setstate__ calling a proxy of this thread): the outer body is a view of
                # _rbuf, so this one reads into a new buffer.
                kept = self._rbuf[self._rpos:self._rend]
                self._rbuf = bytearray(max(_BUFFER, len(kept)))
                self._rbuf[:len(kept)] = kept
                self._rview = memoryview(self._rbuf)
                self._rvecs = (self._rview,)
                self._rpos, self._rend = 0, len(kept)
            if self._rend - self._rpos < 4:
                self._fill(4)
            size, = unpack_from(self._rbuf, self._rpos)
            start = self._rpos + 4
            if size == -1:
                if self._rend - self._rpos < 12:
                    self._fill(12)
                    start = self._rpos + 4
                size, = _long_header.unpack_from(self._rbuf, start)
                start += 8
            elif size < 0:
                raise OSError("bad message length %d at the start of a message" % size)
            if maxsize is not None and size > maxsize:
                return None
            header = start - self._rpos
            if header + size <= len(self._rbuf):
                if self._rend - self._rpos < header + size:
                    self._fill(header + size)
                    start = self._rpos + header
                self._rpos = start + size
                if self._rpos == self._rend:
                    self._rpos = self._rend = 0
                return self._rview[start:start + size]
            # Longer than the buffer: the body's buffered part, then read(2) straight into a buffer of its own
            # (never past the message).
            body = bytearray(size)
            have = self._rend - start
            body[:have] = self._rbuf[start:self._rend]
            self._rpos = self._rend = 0
            view = memoryview(body)
            while have < size:
                n = readv(self._handle, (view[have:],))
                if n == 0:
                    view.release()
                    raise OSError("got end of file during message")
                have += n
            return view

        def _recv_bytes(self, maxsize=None):
            view = self._take_message(maxsize)
            if view is None:
                return None
            try:
                buf = io.BytesIO(view)
            finally:
                view.release()
            buf.seek(0, io.SEEK_END)            # as the stock _recv leaves it: recv_bytes_into reads tell()
            return buf

        def _poll(self, timeout):
            if self._rend > self._rpos:
                return True
            return super()._poll(timeout)

    LeanConnection.__qualname__ = "LeanConnection"
    LeanConnection.__module__ = __name__
    return LeanConnection


def client_of(library="multiprocessing"):
    """`library`'s connection.Client, returning a LeanConnection for a socket connection (after the stock
    handshake, authkey included)."""
    client = _clients.get(library)
    if client is None:
        connection = importlib.import_module(library + ".connection")
        stock_client, stock_class = connection.Client, connection.Connection
        lean_class = connection_class(library)

        def client(address, family=None, authkey=None):
            conn = stock_client(address, family=family, authkey=authkey)
            if type(conn) is not stock_class:
                return conn
            handle, conn._handle = conn._handle, None  # the fd passes to the lean connection, still open
            return lean_class(handle, conn.readable, conn.writable)

        client.__qualname__ = client.__name__ = "Client"
        client = _clients[library] = client
    return client


def _library_of_proxytype(proxytype):
    """The library of a stock proxy type or AutoProxy, or None for anything else (user proxy classes keep their
    own class and code)."""
    module = getattr(proxytype, "__module__", "") or ""
    for library in ("multiprocessing", "multiprocess"):
        if module == library + ".managers":
            managers = importlib.import_module(module)
            if proxytype is managers.AutoProxy or (isinstance(proxytype, type)
                                                   and issubclass(proxytype, managers.BaseProxy)):
                return library
    return None


def _lean_type(cls):
    """The lean subclass of a proxy class (cached): the same name and methods, the lean `__reduce__`."""
    lean = _lean_types.get(cls)
    if lean is None:
        body = {"__reduce__": _lean_reduce, "__module__": cls.__module__, "__doc__": cls.__doc__,
                "_dotnet_stock_type": cls,
                "_dotnet_managers": importlib.import_module(_stock_root(cls).__module__)}
        if cls._callmethod is _stock_callmethod(cls):
            body["_callmethod"] = _lean_callmethod
        lean = type(cls.__name__, (cls,), body)
        lean.__qualname__ = cls.__qualname__
        lean = _lean_types.setdefault(cls, lean)  # one lean class per stock class, whichever thread made it
    return lean


def _stock_callmethod(cls):
    """The library's BaseProxy._callmethod (a class overriding it keeps its own)."""
    return _stock_root(cls)._callmethod


def _lean_callmethod(self, methodname, args=(), kwds={}):
    """BaseProxy._callmethod, with the request and its reply through LeanConnection._call (one Python call for
    send and recv). On a stock connection (made by a stock proxy of this thread first), the stock send and recv."""
    try:
        conn = self._tls.connection
    except AttributeError:
        self._dotnet_managers.util.debug("thread %r does not own a connection", threading.current_thread().name)
        self._connect()
        conn = self._tls.connection
    call = getattr(conn, "_call", None)
    if call is not None:
        kind, result = call((self._id, methodname, args, kwds))
    else:
        conn.send((self._id, methodname, args, kwds))
        kind, result = conn.recv()
    if kind == "#RETURN":
        return result
    managers = self._dotnet_managers
    if kind == "#PROXY":
        exposed, token = result
        proxytype = self._manager._registry[token.typeid][-1]
        token.address = self._token.address
        proxy = proxytype(token, self._serializer, manager=self._manager, authkey=self._authkey, exposed=exposed)
        conn = self._Client(token.address, authkey=self._authkey)
        managers.dispatch(conn, None, "decref", (token.id,))
        return proxy
    try:
        raise managers.convert_to_error(kind, result)
    finally:
        del result      # the traceback's frames would hold the error: break the cycle, as CPython 3.12+ does


def _lean_reduce(self):
    """BaseProxy.__reduce__ naming the stock class; for a child this process starts, wrapped so that the child
    rebuilds the lean proxy."""
    stock = type(self)._dotnet_stock_type
    rebuild, args = stock.__reduce__(self)
    if args[0] is type(self):
        args = (stock,) + args[1:]
    library = rebuild.__module__.partition(".")[0]
    context = importlib.import_module(library + ".context")
    if context.get_spawning_popen() is None:
        return rebuild, args
    return _rebuild_lean, (rebuild,) + args


def _rebuild_lean(rebuild, func, token, serializer, kwds):
    """Unpickles a proxy sent to a child process by _lean_reduce: the stock RebuildProxy, then leanify."""
    return leanify(rebuild(func, token, serializer, kwds))


def leanify(proxy):
    """Turns a stock proxy of a 'pickle' serializer manager into the lean one, in place; returns it."""
    cls = type(proxy)
    if getattr(proxy, "_serializer", None) != "pickle" or "_dotnet_stock_type" in cls.__dict__:
        return proxy
    library = _library_of_proxytype(_stock_root(cls))
    if library is None:
        return proxy
    proxy.__class__ = _lean_type(cls)
    proxy._Client = client_of(library)
    return proxy


def _stock_root(cls):
    """The library's BaseProxy among cls's bases (its module names the library)."""
    for base in cls.__mro__:
        if base.__name__ == "BaseProxy":
            return base
    return cls


def lean_proxytype(proxytype, library):
    """What the shim's managers register instead of `proxytype`: a callable with its signature making the lean
    proxy, for the library's AutoProxy and its own proxy classes; anything else as it is."""
    if proxytype is None or getattr(proxytype, "_dotnet_lean", False):
        return proxytype
    if _library_of_proxytype(proxytype) != library:
        return proxytype

    def make(token, serializer, *args, **kwds):
        return leanify(proxytype(token, serializer, *args, **kwds))

    for name in ("_exposed_", "_method_to_typeid_"):
        if hasattr(proxytype, name):
            setattr(make, name, getattr(proxytype, name))
    make.__name__ = make.__qualname__ = getattr(proxytype, "__name__", "proxy")
    make._dotnet_lean = True
    make._dotnet_stock_type = proxytype
    return make


def lean_registry(cls, library):
    """Re-registers every type id of manager class `cls` with the lean proxy type (the same callable, exposed
    methods and method_to_typeid; the create method only where the class has one)."""
    for typeid, (callable_, exposed, method_to_typeid, proxytype) in list(cls._registry.items()):
        lean = lean_proxytype(proxytype, library)
        if lean is not proxytype:
            cls.register(typeid, callable_, lean, exposed, method_to_typeid, create_method=hasattr(cls, typeid))
