"""The connection under the shim's proxies (issue 12): the library's `connection.Connection` with a receive buffer
and a reused pickler (`LeanConnection`), and the library's `Client` returning one (`client_of`).

A worker's proxy call cost it ~20 µs of CPU over the stock connection (docs/shim-steady-state.md, "The client's
path"): `ForkingPickler.dumps` builds a BytesIO, a pickler and a copy of the dispatch table per call, and `recv`
makes two read(2) calls into two BytesIO. A `LeanConnection` is the connection the stock `Client` made and
authenticated; its `recv` reads header and body with one read(2) into a buffer it keeps (bytes past the message
stay there for `poll()` and the next `recv`), and its `send` (multiprocessing only: dill's pickler keeps per-dump
state, so the dill flavour pickles per message, its plain values by C's pickle, _plain.py) reuses one
ForkingPickler per connection, writing header and pickle with one write(2). The bytes on the wire are the stock
ones. Pure Python, as _proxy.py's proxies that use it run in workers, which must not load the engine.
"""
import copyreg
import importlib
import io
import os
import struct

__all__ = ["connection_class", "client_of"]

_BUFFER = 65536                 # the receive buffer: most replies fit, so one read(2) takes header and body
_header = struct.Struct("!i")   # connection.py _send_bytes: !i length; -1 => !Q follows
_long_header = struct.Struct("!Q")

_connection_classes = {}
_clients = {}


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
