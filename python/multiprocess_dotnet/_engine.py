"""The engine in this process: loading it once, the control calls, and the callback that runs Python-side objects.

The engine is Multiprocess.Interop published with Native AOT: one shared library (_engine/Multiprocess.Interop.so)
that ctypes loads on the first manager start, with no .NET installed and no runtime to start. Every call is one
pickle each way through its exported [UnmanagedCallersOnly] entry points (mpd_call, mpd_free, mpd_reply,
mpd_set_callback: dotnet/src/Multiprocess.Interop/EntryPoints.cs). The JIT build of the same assemblies is in the
package too, only for `clr()` (pythonnet, through hostfxr: _hostfxr.py).

ctypes CFUNCTYPE releases the GIL for the call, so a request that blocks (waiting for a server to stop) lets Python
threads run; the engine's own threads never need the GIL except to run an object that only Python can run (a type
id registered with a Python callable).
"""
import atexit
import ctypes
import os
import pickle
import sys
import threading

from . import _flavour, _pyhost
from ._engine_files import ENGINE_DIR, NATIVE_LIBRARY, EngineError, EngineLoadError, library_path  # noqa: F401

__all__ = ["engine", "loaded", "library_path", "ENGINE_DIR", "EngineError", "EngineLoadError"]

_EXPORTS = {"Call": "mpd_call", "Free": "mpd_free", "Reply": "mpd_reply", "SetCallback": "mpd_set_callback"}
_ASSEMBLIES = ("Multiprocess.Pickle", "Multiprocess", "Multiprocess.Interop")
_RUNTIME_CONFIG = "Multiprocess.Interop.runtimeconfig.json"

_CALL = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                         ctypes.POINTER(ctypes.c_int))
_FREE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
_SET_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_REPLY = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int)


class _Engine:
    def __init__(self, pointers, how):
        self.how = how                              # 'native': the Native AOT library
        self.pid = os.getpid()
        self._call = _CALL(pointers["Call"])
        self._free = _FREE(pointers["Free"])
        self._reply = _REPLY(pointers["Reply"])
        self._set_callback = _SET_CALLBACK(pointers["SetCallback"])
        self._callback = _CALLBACK(self._on_callback)   # kept alive as long as the engine
        self._set_callback(ctypes.cast(self._callback, ctypes.c_void_p))
        self._referents = _pyhost.Referents()      # the same table a `multiprocess serve` host keeps (_pyhost.py)
        self._codec = _flavour.codec("multiprocessing")
        self.closed = False

    # -- control calls (Python → .NET) ---------------------------------------------------------------------------
    def call(self, *request):
        """Runs one control verb in the engine and returns its result, or raises the exception it sent back."""
        if os.getpid() != self.pid:
            raise EngineError("the .NET engine was loaded by process %d and this is its forked child %d: a forked "
                              "child must not run .NET code; use the 'spawn' or 'forkserver' start method"
                              % (self.pid, os.getpid()))
        data = pickle.dumps(request, protocol=4)
        out = ctypes.c_void_p()
        size = ctypes.c_int()
        status = self._call(data, len(data), ctypes.byref(out), ctypes.byref(size))
        try:
            reply = ctypes.string_at(out.value, size.value)
        finally:
            self._free(out.value)
        value = pickle.loads(reply)
        if status:
            raise value
        return value

    # -- callbacks (.NET → Python), on the engine's threads with the GIL taken by ctypes -------------------------
    def _on_callback(self, data, size, context):
        try:
            codec = self._codec
            request = codec.loads(ctypes.string_at(data, size))
            status, payload = 0, codec.dumps(self._referents.run(request))
        except BaseException as e:                  # never let an exception unwind into .NET
            status, payload = _pyhost._dump_exception(e, self._codec.dumps)
        try:
            self._reply(context, payload, len(payload))
        except BaseException:
            return 2
        return status

    def register_python_types(self, server, callables, library="multiprocessing"):
        self._referents.register(server, callables)
        if library != "multiprocessing" and self._codec.library != library:
            # One engine serves every manager of this process: once a `multiprocess` (dill) manager serves here, the
            # Python-run objects of all of them go through dill's pickler (_flavour: it also reads stdlib pickles).
            self._codec = _flavour.codec(library)
            from . import _forksafety
            _forksafety.engine_loaded()             # guard the fork of `multiprocess` too, now imported

    def forget_server(self, server):
        self._referents.forget(server)

    def close(self):
        """At exit: stop every server before the interpreter goes, then let go of the callback."""
        if self.closed or os.getpid() != self.pid:
            return
        try:
            self.call("servers_shutdown_all")
        finally:
            self._set_callback(None)
            self.closed = True
            self._referents.clear()


_engine = None
_engine_lock = threading.Lock()
_runtime = None
_pythonnet_started = False


def loaded():
    """Whether the engine is loaded in this process."""
    return _engine is not None


def _pointers_native():
    path = library_path()
    if not os.path.exists(path):
        raise EngineLoadError("the engine is not built: %s is missing (build the wheel with wheels/build.sh, or set "
                              "MULTIPROCESS_DOTNET_ENGINE to a folder that has it)" % path)
    try:
        library = ctypes.CDLL(path)
    except OSError as e:
        raise EngineLoadError("the engine library %s cannot be loaded: %s" % (path, e)) from None
    return {name: ctypes.cast(getattr(library, symbol), ctypes.c_void_p).value for name, symbol in _EXPORTS.items()}


def _start_runtime():
    """The .NET runtime (CoreCLR, through hostfxr), for pythonnet only: the engine itself never needs it."""
    global _runtime
    if _runtime is None:
        from . import _hostfxr
        if not os.path.exists(os.path.join(ENGINE_DIR, "Multiprocess.Interop.dll")):
            raise _hostfxr.HostfxrError("the engine's assemblies are not built: %s has no Multiprocess.Interop.dll "
                                        "(build the wheel with wheels/build.sh, or set MULTIPROCESS_DOTNET_ENGINE)"
                                        % ENGINE_DIR)
        _runtime = _hostfxr.Runtime(os.path.join(ENGINE_DIR, _RUNTIME_CONFIG))
    return _runtime


def engine():
    """The engine, loaded on first use from the native library (also when pythonnet runs: `clr()` gets its own
    JIT copy of the assemblies, for their .NET types)."""
    global _engine
    if _engine is not None:
        if _engine.pid != os.getpid():
            raise EngineError("the .NET engine was loaded by process %d; this forked child (%d) must not use it"
                              % (_engine.pid, os.getpid()))
        return _engine
    with _engine_lock:
        if _engine is None:
            e = _Engine(_pointers_native(), "native")
            atexit.register(_at_exit)
            from . import _forksafety
            _forksafety.engine_loaded()
            _engine = e
    return _engine


def start_pythonnet():
    """Starts pythonnet's Python.Runtime in this process (CPython 3.11+) so that `import clr` gives Python code the
    engine's .NET types; shut down at exit. Returns the `clr` module."""
    global _pythonnet_started
    if "clr" in sys.modules:
        return sys.modules["clr"]
    if sys.version_info < (3, 11):
        raise ImportError("pythonnet 3.2 (Python.Runtime) supports CPython 3.11-3.13; this is %d.%d. The managers of "
                          "multiprocess_dotnet work on 3.8-3.14 without it." % sys.version_info[:2])
    with _engine_lock:
        runtime = _start_runtime()
        runtime.load_assembly(os.path.join(ENGINE_DIR, "Python.Runtime.dll"))
        initialize = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int)(
            runtime.function_pointer("Python.Runtime.Loader, Python.Runtime", "Initialize", None))
        rc = initialize(b"", 0)
        if rc != 0:
            from ._hostfxr import HostfxrError
            raise HostfxrError("pythonnet's Loader.Initialize failed with %d" % rc)
        shutdown = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_int)(
            runtime.function_pointer("Python.Runtime.Loader, Python.Runtime", "Shutdown", None))
        _pythonnet_started = True
        # Without a full shutdown CPython 3.13 aborts at exit (docs/native.md). The engine's servers do not
        # use pythonnet, so the order of this handler and the engine's does not matter.
        atexit.register(lambda: shutdown(b"full_shutdown", len(b"full_shutdown")))
    import clr
    for name in _ASSEMBLIES:
        clr.AddReference(os.path.join(ENGINE_DIR, name + ".dll"))
    return clr


def _at_exit():
    if _engine is not None:
        _engine.close()
