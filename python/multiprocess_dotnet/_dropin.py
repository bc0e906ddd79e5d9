"""Drop-in: make an unmodified program's multiprocessing managers use the .NET server.

install() rebinds `multiprocessing.managers.SyncManager`, `BaseManager` and `SharedMemoryManager` to this package's
subclasses. `multiprocessing.Manager()` (any context's `.Manager()`) looks SyncManager up at call time, so it follows.
Classes a program defines after install() (`class MyManager(BaseManager)`) get the .NET server too; classes made
before it keep the stdlib's. `python -m multiprocess_dotnet run script.py` calls install() before running the script.
"""
from multiprocessing import managers as _stdlib_managers

from . import managers as _ours

__all__ = ["install", "uninstall", "installed"]

_NAMES = ("BaseManager", "SyncManager", "SharedMemoryManager")
_saved = {}


def installed():
    return bool(_saved)


def install():
    """Routes multiprocessing's managers to the .NET server (idempotent). The engine loads on the first start()."""
    if _saved:
        return
    for name in _NAMES:
        if hasattr(_stdlib_managers, name):
            _saved[name] = getattr(_stdlib_managers, name)
            setattr(_stdlib_managers, name, getattr(_ours, name))


def uninstall():
    """Restores the stdlib's classes (managers already started keep running on .NET)."""
    for name, cls in _saved.items():
        setattr(_stdlib_managers, name, cls)
    _saved.clear()
