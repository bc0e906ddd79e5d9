"""Fork safety: a process that has .NET loaded must not fork and then run .NET code.

A forked child shares nothing of .NET's threads (GC, finalizer, tiered JIT) and, with W^X on, writes its JIT code
through the parent's double mapping (docs/native.md); the engine's runtimeconfig turns W^X off, but a
child that runs .NET still hangs or corrupts state. So, once the engine is loaded:

- the default start method becomes 'spawn' (multiprocessing's default on Linux is 'fork' before 3.14);
- a process started with the 'fork' method is refused with a RuntimeError that says why (unless
  MULTIPROCESS_DOTNET_ALLOW_FORK=1);
- a child made by a bare os.fork() may run Python, but any call into the engine raises EngineError.
'spawn' and 'forkserver' are safe: their children start a fresh interpreter.
"""
import os

__all__ = ["FORK_REFUSED", "engine_loaded", "allow_fork"]

FORK_REFUSED = ("multiprocess_dotnet: this process has the .NET engine loaded, and a forked child would inherit a "
                "copy of .NET's runtime without its threads (GC, finalizer, JIT), which corrupts or hangs it. Use the "
                "'spawn' or 'forkserver' start method (multiprocessing.get_context('spawn')), or set "
                "MULTIPROCESS_DOTNET_ALLOW_FORK=1 to fork anyway (the child must then never touch the engine).")

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
    """Refuses the fork start method of `multiprocessing` (and of `multiprocess`, dill's fork, if imported)."""
    import importlib
    import sys
    if name != "multiprocessing" and name not in sys.modules:
        return
    try:
        popen_fork = importlib.import_module(name + ".popen_fork")
        context = importlib.import_module(name + ".context")
    except ImportError:
        return
    if not hasattr(popen_fork.Popen._launch, "__wrapped__"):
        popen_fork.Popen._launch = _refuse(popen_fork.Popen._launch)
        _patched.append(popen_fork)
    default = context._default_context
    current = default._actual_context
    if current is None or current._name == "fork":
        # No warning: multiprocessing resolves its default to 'fork' as soon as anything asks (a Queue, a Manager's
        # constructor), so a warning here would fire for nearly every program without telling it anything new.
        default._actual_context = default.get_context("spawn")


def engine_loaded():
    for name in ("multiprocessing", "multiprocess"):
        _guard_library(name)
