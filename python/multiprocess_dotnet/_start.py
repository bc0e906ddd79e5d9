"""Manager(): the server begins before the imports it does not need.

A first Manager() needs two things that do not depend on each other: `multiprocessing.managers` (the stdlib's
proxies and SyncManager, which this package subclasses: tens of milliseconds to import in a fresh interpreter) and
a server. Under server mode 'process' the server is a process of its own (posix_spawn of the launcher, the library's
load, the runtime's start: _server_process.py); under 'inprocess' it is the library loaded here (_engine.py). So
Manager() begins the server first and imports afterwards: the server process boots on the other core while this one
imports, or the library loads on a thread of its own (ctypes releases the GIL around the native calls), and the
manager's start() then finds it begun (take_launch(), or _engine's lock).

This module imports nothing heavy (os, socket, threading and pickle, which `import multiprocessing` has loaded already),
so that the import it runs ahead of is not delayed by it.
"""
import importlib
import os
import socket
import threading

from . import _engine_files, _flavour

__all__ = ["Manager", "server_mode", "SERVER_MODES", "Launch", "take_launch"]

SERVER_MODES = ("auto", "process", "inprocess")

_early = threading.local()                  # .launch: a server process Manager() spawned for this thread's start()


def server_mode(ctx=None, library=None):
    """'process' or 'inprocess': where the server of a manager made with context `ctx` runs. MULTIPROCESS_DOTNET_SERVER
    decides when set; otherwise 'process' when the manager's or the program's start method is 'fork' (this process
    may fork: it must not load .NET), else 'inprocess'. The program's start method is that of `library`
    ('multiprocessing', or 'multiprocess'), by default the library of `ctx`."""
    mode = os.environ.get("MULTIPROCESS_DOTNET_SERVER") or "auto"
    if mode not in SERVER_MODES:
        raise ValueError("MULTIPROCESS_DOTNET_SERVER=%r: expected one of %s" % (mode, ", ".join(SERVER_MODES)))
    if mode != "auto":
        return mode
    library = library or (_flavour.library_of(ctx) if ctx is not None else "multiprocessing")
    get_start_method = importlib.import_module(library).get_start_method
    methods = {get_start_method(), ctx.get_start_method() if ctx is not None else None}
    return "process" if "fork" in methods else "inprocess"


class Launch:
    """A started launcher process (`_engine/multiprocess-dotnet-server`) and this process's ends of its two sockets
    (control, host: _server_process.py), not yet driven by a ServerProcess."""

    def __init__(self):
        self.launcher = _engine_files.launcher_path()
        library = _engine_files.library_path()
        for path in (library, self.launcher):
            if not os.path.exists(path):
                raise _engine_files.EngineLoadError(
                    "the engine is not built: %s is missing (build the wheel with wheels/build.sh, or set "
                    "MULTIPROCESS_DOTNET_ENGINE to a folder that has it)" % path)
        self.owner_pid = os.getpid()
        self.control, control_child = socket.socketpair()
        self.host, host_child = socket.socketpair()
        try:
            fds = [control_child.fileno(), host_child.fileno()]
            self.pid = _spawn([self.launcher, library, str(fds[0]), str(fds[1]), str(self.owner_pid)], fds)
        except BaseException:
            self.control.close()
            self.host.close()
            raise
        finally:
            control_child.close()
            host_child.close()

    def abandon(self):
        """Ends a launch nobody took: closing the control socket ends the server process; it is reaped here."""
        self.control.close()
        self.host.close()
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _spawn(argv, keep):
    """posix_spawn with the fds in `keep` (their numbers unchanged) inherited: each is dup'ed above every other first,
    then back onto its own number, which clears FD_CLOEXEC (a dup2 onto itself would be a no-op before glibc 2.29)."""
    top = max(keep) + 1
    actions = [(os.POSIX_SPAWN_DUP2, fd, top + i) for i, fd in enumerate(keep)]
    actions += [(os.POSIX_SPAWN_DUP2, top + i, fd) for i, fd in enumerate(keep)]
    actions += [(os.POSIX_SPAWN_CLOSE, top + i) for i in range(len(keep))]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)


def take_launch():
    """The server process Manager() began for this thread's manager start, or None (then the caller spawns one)."""
    launch = getattr(_early, "launch", None)
    _early.launch = None
    if launch is not None and launch.owner_pid != os.getpid():
        return None                           # begun by the process this one was forked from: not ours
    return launch


def _load_engine():
    """The in-process engine, loaded on a thread while Manager() imports; a failure is left for start() to raise
    (it loads again under _engine's lock, and reports the error there)."""
    try:
        from . import _engine
        _engine.engine()
    except BaseException:
        pass


def Manager(*, ctx=None):
    """Like multiprocessing.Manager(): a started SyncManager, its server on .NET threads (in this process, or in a
    server process of its own under the fork start method: server_mode()). With a context of `multiprocess` (dill's
    fork), the SyncManager of multiprocess_dotnet.dill_managers."""
    if ctx is not None and _flavour.library_of(ctx) == "multiprocess":
        from . import dill_managers                 # the dill flavour (_flavour.py)
        return dill_managers.Manager(ctx=ctx)
    from multiprocessing import get_context
    ctx = ctx or get_context()
    mode = server_mode(ctx)
    if mode == "process":
        _early.launch = Launch()
    else:
        # ctypes and the engine's module first, on this thread: the loading thread then runs the library's load and
        # the runtime's start, whose native calls release the GIL, instead of Python imports that would contend
        # with ours for it (measured slower).
        from . import _engine  # noqa: F401
        threading.Thread(target=_load_engine, name="multiprocess_dotnet engine load", daemon=True).start()
    try:
        from .managers import SyncManager
        m = SyncManager(ctx=ctx)
        m.start()
    finally:
        launch = take_launch()
        if launch is not None:                  # start() failed before it took the server process: end it
            launch.abandon()
    return m
