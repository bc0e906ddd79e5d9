"""Fork safety: a process that has .NET loaded must not fork and then run .NET code.

A forked child shares nothing of .NET's threads (GC, finalizer, the servers'): it hangs or corrupts state
(docs/native.md). The engine loads into this process only for the 'inprocess' server mode, which `server_mode()`
chooses only when neither the manager's nor the program's start method is 'fork' (under fork the server is a process
of its own and nothing is loaded here). Once the engine is loaded:

- a process started with the 'fork' method is refused with a RuntimeError that says why and what to do (unless
  MULTIPROCESS_DOTNET_ALLOW_FORK=1), before it forks: never a child that hangs;
- a child made by a bare os.fork() may run Python, but any call into the engine raises EngineError.
The program's start method is left as it is. 'spawn' and 'forkserver' are safe: their children start a fresh
interpreter.
"""
import os

__all__ = ["FORK_REFUSED", "engine_loaded", "allow_fork"]

FORK_REFUSED = ("multiprocess_dotnet: this process has the .NET engine loaded (a manager server runs in it: server "
                "mode 'inprocess'), and a forked child would inherit a copy of .NET's runtime without its threads "
                "(GC, finalizer, the servers'), which corrupts or hangs it. Use the 'spawn' or 'forkserver' start "
                "method (multiprocessing.get_context('spawn')), or start the manager under 'fork' (or with "
                "MULTIPROCESS_DOTNET_SERVER=process) so that its server runs in a process of its own and this one "
                "may fork; MULTIPROCESS_DOTNET_ALLOW_FORK=1 forks anyway (the child must then never touch the engine).")

_patched = []


def allow_fork():
    return os.environ.get("MULTIPROCESS_DOTNET_ALLOW_FORK", "") not in ("", "0")


def _refuse(original):
    def _launch(self, process_obj):
        if not allow_fork():
            raise RuntimeError(FORK_REFUSED)
        return original(self, process_obj)
    _launch.__wrapped__ = original
    return _launch


def _guard_library(name):
    """Refuses the fork start method of `multiprocessing` (and of `multiprocess`, dill's fork, if imported); the
    default start method is left alone."""
    import importlib
    import sys
    if name != "multiprocessing" and name not in sys.modules:
        return
    try:
        popen_fork = importlib.import_module(name + ".popen_fork")
    except ImportError:
        return
    if not hasattr(popen_fork.Popen._launch, "__wrapped__"):
        popen_fork.Popen._launch = _refuse(popen_fork.Popen._launch)
        _patched.append(popen_fork)


def engine_loaded():
    for name in ("multiprocessing", "multiprocess"):
        _guard_library(name)
