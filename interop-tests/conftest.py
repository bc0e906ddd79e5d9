"""Shared fixtures of the interop suite: the peer library under test, the engine's command-line program.

The suite runs once per interpreter (tox.ini). MP_PEER_LIB selects the Python peer library: `multiprocessing`
(the stdlib) or `multiprocess` (uqfoundation's dill-based fork, Debian's package, CPython 3.10–3.13).
"""
import importlib
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(os.environ.get("MULTIPROCESS_REPO", pathlib.Path(__file__).resolve().parent.parent))
PEER_LIB = os.environ.get("MP_PEER_LIB", "multiprocessing")


def _peer_version():
    """multiprocess's version as a tuple ((0, 70, 12) for Debian bookworm's, (0, 70, 19) in the 3.14 root); None for the stdlib."""
    if PEER_LIB == "multiprocessing":
        return None
    return tuple(int(part) for part in importlib.import_module(PEER_LIB).__version__.split(".")[:3])


PEER_VERSION = _peer_version()
# multiprocess 0.70.19 ships the multiprocessing sources of the CPython it runs on (3.14's here): it then behaves as
# the stdlib of that version (handshake, addresses, spawn). Bookworm's 0.70.12 carries older sources on 3.10–3.13.
PEER_FOLLOWS_CPYTHON = PEER_VERSION is None or PEER_VERSION >= (0, 70, 19)

# Tests of the engine alone (its command line, its pickle codec on one fixed input, 64 MiB frames whose 4-byte header
# every CPython 3.8-3.14 writes alike) cost each env seconds and find nothing another env would not: they run in one
# env, py311 (stdlib peer), and are skipped elsewhere with this reason. MULTIPROCESS_ALL_ENVS=1 runs them everywhere.
VERSION_INDEPENDENT_ENV = ("multiprocessing", (3, 11))
RUN_VERSION_INDEPENDENT = (os.environ.get("MULTIPROCESS_ALL_ENVS") == "1"
                           or (PEER_LIB, sys.version_info[:2]) == VERSION_INDEPENDENT_ENV)
version_independent = pytest.mark.skipif(
    not RUN_VERSION_INDEPENDENT,
    reason="version-independent (the engine alone, the same bytes from every peer): runs in the py311 env only "
           "(MULTIPROCESS_ALL_ENVS=1 runs it in every env)")


def _cli_path():
    explicit = os.environ.get("MULTIPROCESS_CLI")
    if explicit:
        return explicit
    return str(REPO / "dotnet" / "src" / "Multiprocess.Cli" / "bin" / "Release" / "net10.0" / "multiprocess")


CLI = _cli_path()


@pytest.fixture(scope="session")
def mp():
    """The peer library: `multiprocessing` or `multiprocess`."""
    return importlib.import_module(PEER_LIB)


@pytest.fixture(scope="session")
def peer_lib():
    return PEER_LIB


@pytest.fixture(scope="session")
def cli():
    """Path of the built `multiprocess` command; a missing build is a failure, not a skip."""
    if not os.path.exists(CLI):
        pytest.fail(f"the engine's command is not built: {CLI} (run scripts/setup.sh)")
    return CLI


def run_cli(*args, input=None, timeout=60, check=True):
    """Runs `multiprocess ARGS...` and returns the CompletedProcess (bytes)."""
    proc = subprocess.run([CLI, *args], input=input, capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"multiprocess {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc


def pytest_report_header(config):
    return f"peer: {PEER_LIB} on CPython {sys.version.split()[0]} ({sys.executable}); engine command: {CLI}"
