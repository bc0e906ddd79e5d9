"""Drop-in: make an unmodified program's multiprocessing managers use the .NET server.

install() rebinds `multiprocessing.managers.SyncManager`, `BaseManager` and `SharedMemoryManager` to this package's
subclasses. `multiprocessing.Manager()` (any context's `.Manager()`) looks SyncManager up at call time, so it follows.
Classes a program defines after install() (`class MyManager(BaseManager)`) get the .NET server too; classes made
before it keep the stdlib's. `python -m multiprocess_dotnet run script.py` calls install() before running the script.

The same for `multiprocess` (dill's fork), whose managers become those of dill_managers: at once when
`multiprocess.managers` is already imported, else when the program first imports it (an import hook), so a program
that never uses `multiprocess` pays nothing for it (importing it imports dill).
"""
import sys

from multiprocessing import managers as _stdlib_managers

from . import managers as _ours

__all__ = ["install", "uninstall", "installed"]

_NAMES = ("BaseManager", "SyncManager", "SharedMemoryManager")
_DILL_MODULE = "multiprocess.managers"
_saved = {}            # (module name, class name) -> the library's class


def installed():
    return bool(_saved)


def _rebind(module, replacements):
    for name in _NAMES:
        if hasattr(module, name) and hasattr(replacements, name):
            _saved[(module.__name__, name)] = getattr(module, name)
            setattr(module, name, getattr(replacements, name))


def _rebind_dill(module):
    from . import dill_managers
    _rebind(module, dill_managers)


class _DillHook:
    """A meta path finder that lets the real finders load `multiprocess.managers`, then rebinds its classes."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _DILL_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _RebindingLoader(spec.loader)
                return spec
        return None


class _RebindingLoader:
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        if _hook in sys.meta_path:
            sys.meta_path.remove(_hook)
            _rebind_dill(module)

    def __getattr__(self, name):            # get_source, get_code, is_package... of the real loader
        return getattr(self._loader, name)


_hook = _DillHook()


def install():
    """Routes multiprocessing's managers (and multiprocess's) to the .NET server (idempotent). The engine loads on the
    first start()."""
    if _saved or _hook in sys.meta_path:
        return
    _rebind(_stdlib_managers, _ours)
    if _DILL_MODULE in sys.modules:
        _rebind_dill(sys.modules[_DILL_MODULE])
    else:
        sys.meta_path.insert(0, _hook)


def uninstall():
    """Restores the libraries' classes (managers already started keep running on .NET)."""
    if _hook in sys.meta_path:
        sys.meta_path.remove(_hook)
    for (module_name, name), cls in _saved.items():
        setattr(sys.modules[module_name], name, cls)
    _saved.clear()
