"""The client side of the shim's proxies: CPython's proxy classes over a leaner connection (issue 12).

A worker's proxy call cost it ~20 µs of CPU with the stock client path (docs/shim-steady-state.md, "The client's
path"; what the stock connection spends: _connection.py). The shim's managers hand out the stock proxy classes'
instances with two changes, both pure Python (a worker must not load the engine):
- `_Client` is the library's `Client` returning a `LeanConnection` (_connection.py: one read(2) per reply into a
  kept buffer, one pickler per connection); the bytes on the wire are the stock ones.
- the class is a subclass of the stock one (same name, so same repr; `isinstance` holds; `_callmethod` sends and
  receives in one call on a lean connection, no other method changes) whose `__reduce__` makes a child process this
  one starts (Process arguments under spawn or forkserver) rebuild the lean proxy (`_rebuild_lean`, pickled by
  reference to this module); pickled any other way (a queue, a pipe, a manager's dict) it is the stock pickle, so
  that any receiver, even one without this package, gets a working stock proxy.
Everything else is the stock code: thread-local connections and their reset after fork, `#PROXY` results,
`#ERROR`/`#TRACEBACK`, incref/decref, the authkey.
"""
import importlib
import threading

from . import _connection

__all__ = ["lean_proxytype", "lean_registry", "leanify"]

_lean_types = {}


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
    proxy._Client = _connection.client_of(library)
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
