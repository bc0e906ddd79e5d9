"""The dill flavour: `multiprocess`'s managers (uqfoundation's dill-based fork of multiprocessing) served by .NET.

    import multiprocess
    import multiprocess_dotnet.dill_managers as mpd
    with mpd.Manager() as m:                    # multiprocess.managers.SyncManager, its server on .NET
        d = m.dict(); d["f"] = lambda x: x + 1  # dill pickles lambdas and closures by value
        pool = m.Pool(2); pool.map(lambda x: x * x, range(4))

`install()` / `python -m multiprocess_dotnet run` rebind `multiprocess.managers` as they rebind `multiprocessing`'s
(_dropin.py), so `multiprocess.Manager()` in an unmodified program gets these classes. They are the classes of
multiprocess_dotnet.managers over `multiprocess.managers` instead of the stdlib's: the proxies are multiprocess's own
(dill pickles on the wire), the .NET server keeps what dill sent as it came, and the objects only Python runs (Pool,
registered callables) are run in this interpreter with dill's pickler both ways (_flavour.py says why).
"""
from multiprocess import managers as _dill_managers

from . import _proxy
from . import managers as _managers
from .managers import DotnetServer, _DotnetServerMixin  # noqa: F401

__all__ = ["BaseManager", "SyncManager", "SharedMemoryManager", "Manager", "DotnetServer", "native_typeids",
           "server_mode"]


class BaseManager(_DotnetServerMixin, _dill_managers.BaseManager):
    """multiprocess.managers.BaseManager with its server on .NET threads."""


class SyncManager(_DotnetServerMixin, _dill_managers.SyncManager):
    """multiprocess.managers.SyncManager with its server on .NET threads: dict, list, Queue, Lock, ... are served in
    C#; Pool and your own registered callables run in this interpreter (dill pickles both ways)."""


if hasattr(_dill_managers, "SharedMemoryManager"):
    class SharedMemoryManager(_DotnetServerMixin, _dill_managers.SharedMemoryManager):
        """multiprocess.managers.SharedMemoryManager with the segment-tracking server in .NET."""

        _dotnet_shared_memory = True


for _cls in (BaseManager, SyncManager, globals().get("SharedMemoryManager")):
    if _cls is not None:
        _proxy.lean_registry(_cls, "multiprocess")   # multiprocess's own proxy types, over the lean client


def server_mode(ctx=None):
    """Where the server of a manager made with `ctx` runs (managers.server_mode), by multiprocess's start method."""
    return _managers.server_mode(ctx, "multiprocess")


def native_typeids():
    """The type ids the engine serves in C# (multiprocess's Namespace, Value and Array included)."""
    return _managers.native_typeids("multiprocess")


def Manager(*, ctx=None):
    """Like multiprocess.Manager(): a started SyncManager, its server on .NET threads."""
    from multiprocess import get_context
    m = SyncManager(ctx=ctx or get_context())
    m.start()
    return m
