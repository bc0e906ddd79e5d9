"""The shim's own tests. They run against the installed wheel (tox.ini: shim38 … shim313 install
wheels/dist/multiprocess_dotnet-*.whl into a fresh environment), never the source tree: see test_installed_from_wheel.

tox runs them once per server mode (MULTIPROCESS_DOTNET_SERVER=process, then =inprocess; docs/native.md). The
in-process mode is the one for programs that do not fork: with it, this session's start method becomes 'forkserver' where
the default is 'fork' (CPython's suite starts its children with the default context).
"""
import multiprocessing
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
SERVER_MODE = os.environ.get("MULTIPROCESS_DOTNET_SERVER") or "auto"

if SERVER_MODE == "inprocess" and multiprocessing.get_start_method() == "fork":
    multiprocessing.set_start_method("forkserver", force=True)


def pytest_report_header(config):
    try:
        import multiprocess_dotnet
        where = multiprocess_dotnet.__file__
    except Exception as e:                            # reported by the tests themselves
        where = "not importable: %s" % e
    return "multiprocess_dotnet on CPython %s: %s; server mode %s, start method %s" % (
        sys.version.split()[0], where, SERVER_MODE, multiprocessing.get_start_method())


@pytest.fixture(scope="session")
def mpd():
    import multiprocess_dotnet
    return multiprocess_dotnet


@pytest.fixture
def child_env():
    """Environment for a child interpreter: the tests' folder on PYTHONPATH (for the targets module) and nothing of
    the source tree."""
    env = {k: v for k, v in os.environ.items() if k != "MULTIPROCESS_DOTNET_SERVER"}   # each test says its own
    env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env
