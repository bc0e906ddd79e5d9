"""multiprocess_dotnet: CPython's multiprocessing managers served from .NET threads, in your own process.

    import multiprocess_dotnet as mpd
    with mpd.Manager() as m:            # no server process: the server runs here, on .NET threads, without the GIL
        d = m.dict(); q = m.Queue()     # CPython's own proxies; pass them to spawned workers as usual

    python -m multiprocess_dotnet run script.py     # an unmodified program, its managers on .NET

Works on CPython 3.8-3.13 (the engine's [UnmanagedCallersOnly] entry points); `clr()` adds pythonnet access to the
engine's .NET types on 3.11-3.13. Once the engine is loaded, the 'fork' start method is refused (see _forksafety).
"""
from ._dropin import install, installed, uninstall
from ._engine import EngineError, loaded
from ._forksafety import FORK_REFUSED
from ._hostfxr import HostfxrError
from .managers import BaseManager, DotnetServer, Manager, SharedMemoryManager, SyncManager

try:
    from ._version import __version__       # written by wheels/build.sh (importlib.metadata would cost ~45 ms)
except ImportError:                          # running from the source tree
    __version__ = "0+source"
__all__ = ["Manager", "SyncManager", "BaseManager", "SharedMemoryManager", "DotnetServer", "install", "uninstall",
           "installed", "load", "loaded", "clr", "EngineError", "HostfxrError", "FORK_REFUSED", "__version__"]


def load():
    """Loads the engine now (it otherwise loads on the first manager start) and returns its version."""
    from . import _engine
    return _engine.engine().call("version")


def clr():
    """Starts pythonnet (CPython 3.11-3.13) with the engine's assemblies referenced, and returns the `clr` module:
    afterwards `from Multiprocess.Connection import Client` etc. work from Python."""
    from . import _engine
    return _engine.start_pythonnet()
