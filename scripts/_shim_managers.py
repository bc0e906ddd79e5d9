"""The managers the hand-run measuring scripts compare, started one way in one place (measure-client-instructions.py,
measure-shim-cpu.py): the library's own manager and the shim's in either server mode, the process whose CPU is the
server's, and the two proxies the `shim` suite's steady-state case loops over. A figure of one script then stands
beside the other's: they measure the same managers. The scripts import it from their own folder (sys.path[0]).
"""
import importlib
import os

SHIM_MODES = ("process", "inprocess")   # multiprocess_dotnet.server_mode()'s two answers


def start(impl, library="multiprocessing"):
    """A started manager. 'stdlib': `library`'s own SyncManager, its server a process of its own (spawned;
    multiprocess's forked, as the dill flavour's figures in docs/shim-steady-state.md were measured). 'process' or
    'inprocess': multiprocess_dotnet.Manager() over `library`'s default context, its server in that mode; the mode
    is set in MULTIPROCESS_DOTNET_SERVER and left there (the shim reads it at each start)."""
    lib = importlib.import_module(library)
    if impl == "stdlib":
        return lib.get_context("fork" if library == "multiprocess" else "spawn").Manager()
    if impl not in SHIM_MODES:
        raise ValueError("impl %r: expected 'stdlib' or one of %s" % (impl, ", ".join(SHIM_MODES)))
    os.environ["MULTIPROCESS_DOTNET_SERVER"] = impl
    import multiprocess_dotnet
    return multiprocess_dotnet.Manager(ctx=lib.get_context())


def server_pid(m, impl):
    """The process that serves manager `m` of `impl`: its server process, or this one for 'inprocess'."""
    return os.getpid() if impl == "inprocess" else m._process.pid


def steady_proxies(m):
    """(dict, Queue) of manager `m`: what the steady-state worker loops over (`d[k] = i; d[k]; q.put(i); q.get()`,
    bench_shim_targets.worker)."""
    return m.dict(), m.Queue()
