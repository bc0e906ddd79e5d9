"""The shim's own tests. They run against the installed wheel (tox.ini: shim38 … shim313 install
wheels/dist/multiprocess_dotnet-*.whl into a fresh environment), never the source tree: see test_installed_from_wheel.

tox runs them once per server mode (MULTIPROCESS_DOTNET_SERVER=process, then =inprocess; docs/native.md). The
in-process mode is the one for programs that do not fork: with it, this session's start method becomes 'forkserver' where
the default is 'fork' (CPython's suite starts its children with the default context).

MULTIPROCESS_DOTNET_TEST_LIBRARY=multiprocess runs them against the dill flavour (`multiprocess`, dill's fork:
multiprocess_dotnet.dill_managers): `mp` is then that library and the `shim` fixture the dill flavour's managers. A
library that cannot be imported fails the session (a missing peer is a failure, not a skip).
"""
import importlib
import multiprocessing
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
SERVER_MODE = os.environ.get("MULTIPROCESS_DOTNET_SERVER") or "auto"
LIBRARY = os.environ.get("MULTIPROCESS_DOTNET_TEST_LIBRARY") or "multiprocessing"
if LIBRARY not in ("multiprocessing", "multiprocess"):
    raise ValueError("MULTIPROCESS_DOTNET_TEST_LIBRARY=%r: expected multiprocessing or multiprocess" % LIBRARY)
mp = importlib.import_module(LIBRARY)
for _sub in ("managers", "connection", "pool"):
    importlib.import_module(LIBRARY + "." + _sub)
DILL = LIBRARY == "multiprocess"
# Debian bookworm's multiprocess 0.70.12 cannot spawn on CPython >= 3.10 (its spawn calls _posixsubprocess.fork_exec
# with the old argument count; docs/peers.md): its children are forked, so its env runs server mode 'process' only.
SPAWN_WORKS = not DILL or tuple(int(p) for p in mp.__version__.split(".")[:3]) >= (0, 70, 13)
CHILD_START_METHOD = "spawn" if SPAWN_WORKS else "fork"

if SERVER_MODE == "inprocess":
    if not SPAWN_WORKS:
        raise RuntimeError("multiprocess %s cannot spawn: run its tests with MULTIPROCESS_DOTNET_SERVER=process"
                           % mp.__version__)
    for _library in {multiprocessing, mp}:
        if _library.get_start_method() == "fork":
            _library.set_start_method("forkserver", force=True)
        if _library.get_start_method() == "forkserver":
            # CPython 3.8-3.13 start the forkserver without this session's sys.path (forkserver.main takes sys_path and
            # ignores it; 3.14 applies it), so it could not import this folder's conftest and skipped the preload
            # silently (ImportError is ignored there): every child imported pytest and the suite again, 4-8 s per
            # Barrier test at load 20. PYTHONPATH gives the forkserver (spawned with this environment) this folder.
            _paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
            if str(HERE) not in _paths:
                os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE)] + _paths)
            # The forkserver imports what the children would import again to unpickle their targets (this file,
            # which brings pytest, and CPython's manager tests): a child then starts with a fork, not with a second
            # of imports. Four children at once took 10-12 s at load 38 (1.2 s preloaded), too near _TestBarrier's
            # 30 s bound on their first wait(). (Not test_cpython_manager_suite: its install() would change every
            # child of the session.)
            _library.set_forkserver_preload(["__main__", "conftest"] + ([] if DILL else ["test._test_multiprocessing"]))


def pytest_report_header(config):
    try:
        import multiprocess_dotnet
        where = multiprocess_dotnet.__file__
    except Exception as e:                            # reported by the tests themselves
        where = "not importable: %s" % e
    return "multiprocess_dotnet on CPython %s: %s; server mode %s; library %s %s, start method %s" % (
        sys.version.split()[0], where, SERVER_MODE, LIBRARY, getattr(mp, "__version__", "(stdlib)"),
        mp.get_start_method())


@pytest.fixture(scope="session")
def mpd():
    import multiprocess_dotnet
    return multiprocess_dotnet


@pytest.fixture(scope="session")
def shim():
    """The managers of the library under test: multiprocess_dotnet's (stdlib), or multiprocess_dotnet.dill_managers."""
    if DILL:
        return importlib.import_module("multiprocess_dotnet.dill_managers")
    import multiprocess_dotnet
    return multiprocess_dotnet


@pytest.fixture
def child_env():
    """Environment for a child interpreter: the tests' folder on PYTHONPATH (for the targets module) and nothing of
    the source tree."""
    env = {k: v for k, v in os.environ.items() if k != "MULTIPROCESS_DOTNET_SERVER"}   # each test says its own
    env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env
