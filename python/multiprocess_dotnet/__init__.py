"""multiprocess_dotnet: CPython's multiprocessing managers served from .NET threads.

    import multiprocess_dotnet as mpd
    with mpd.Manager() as m:            # the server runs on .NET threads, without the GIL
        d = m.dict(); q = m.Queue()     # CPython's own proxies; pass them to your workers as usual

    python -m multiprocess_dotnet run script.py     # an unmodified program, its managers on .NET

The engine is a native library (Native AOT: no .NET needed) that loads on the first manager start; importing this
package loads nothing but itself (its names resolve on first use, as `multiprocessing` does). Works on CPython
3.8-3.14; `clr()` adds pythonnet access to the engine's .NET types on 3.11-3.13 (that needs the .NET 10 runtime).
Under spawn and forkserver the server runs in this process; under fork in a server process of its own, so that this
process never loads .NET and may fork (server_mode(), _server_process). A process that loaded the engine refuses the
'fork' start method (_forksafety).
"""
try:
    from ._version import __version__       # written by wheels/build.sh (importlib.metadata would cost ~45 ms)
except ImportError:                          # running from the source tree
    __version__ = "0+source"
__all__ = ["Manager", "SyncManager", "BaseManager", "SharedMemoryManager", "DotnetServer", "server_mode", "install", "uninstall",
           "installed", "load", "loaded", "clr", "EngineError", "EngineLoadError", "HostfxrError", "FORK_REFUSED",
           "__version__"]

# name → module that defines it: imported on first access (PEP 562), so `import multiprocess_dotnet` costs what
# `import multiprocessing` costs, and multiprocessing.managers loads only when a manager is wanted.
_LAZY = {
    "Manager": "_start", "SyncManager": "managers", "BaseManager": "managers", "SharedMemoryManager": "managers",
    "DotnetServer": "managers", "server_mode": "_start", "install": "_dropin", "uninstall": "_dropin", "installed": "_dropin",
    "loaded": "_engine", "EngineError": "_engine_files", "EngineLoadError": "_engine_files", "HostfxrError": "_hostfxr",
    "FORK_REFUSED": "_forksafety",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    import importlib
    value = getattr(importlib.import_module("." + module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def load():
    """Loads the engine now (it otherwise loads on the first manager start) and returns its version."""
    from . import _engine
    return _engine.engine().call("version")


def clr():
    """Starts pythonnet (CPython 3.11-3.13, with the .NET 10 runtime installed) with the engine's assemblies
    referenced, and returns the `clr` module: afterwards `from Multiprocess.Connection import Client` etc. work from
    Python. The managers keep using the native engine."""
    from . import _engine
    return _engine.start_pythonnet()
