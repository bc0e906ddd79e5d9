"""The shim's own tests. They run against the installed wheel (tox.ini: shim38 … shim313 install
wheels/dist/multiprocess_dotnet-*.whl into a fresh environment), never the source tree: see test_installed_from_wheel.
"""
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"


def pytest_report_header(config):
    try:
        import multiprocess_dotnet
        where = multiprocess_dotnet.__file__
    except Exception as e:                            # reported by the tests themselves
        where = "not importable: %s" % e
    return "multiprocess_dotnet on CPython %s: %s" % (sys.version.split()[0], where)


@pytest.fixture(scope="session")
def mpd():
    import multiprocess_dotnet
    return multiprocess_dotnet


@pytest.fixture
def child_env():
    """Environment for a child interpreter: the tests' folder on PYTHONPATH (for the targets module) and nothing of
    the source tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env
