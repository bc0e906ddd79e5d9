"""Helpers of the shared memory, lock and resource tracker suites: the C# test peer, untracked Python objects, and
checks on /dev/shm. Runs under CPython 3.8-3.13."""
import importlib
import json
import os
import types
import queue
import subprocess
import threading

import pytest

from conftest import CLI, REPO, PEER_LIB

TESTPEER = os.environ.get("MULTIPROCESS_TESTPEER") or str(
    REPO / "dotnet" / "tests" / "Multiprocess.TestPeer" / "bin" / "Release" / "net10.0" / "multiprocess-testpeer")
TIMEOUT = 20
SEM_VALUE_MAX = 2147483647


class CSharpPeer:
    """`multiprocess-testpeer serve`: one command per line, one JSON reply per line (see its Program.cs)."""

    def __init__(self, tracker_fd=None, env=None):
        if not os.path.exists(TESTPEER):
            pytest.fail(f"the C# test peer is not built: {TESTPEER} (run scripts/setup.sh)")
        full_env = dict(os.environ, MULTIPROCESS_CLI=CLI, **(env or {}))
        pass_fds = ()
        if tracker_fd is not None:
            full_env["MULTIPROCESS_TRACKER_FD"] = str(tracker_fd)
            pass_fds = (tracker_fd,)
        self.proc = subprocess.Popen([TESTPEER, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=full_env, pass_fds=pass_fds, text=True, bufsize=1)
        self._lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def send(self, *words):
        self.proc.stdin.write(" ".join(str(w) for w in words) + "\n")
        self.proc.stdin.flush()

    def reply(self, timeout=TIMEOUT):
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the C# peer did not answer within {timeout} s")
        if line is None:
            raise AssertionError(f"the C# peer exited with {self.proc.wait()}")
        reply = json.loads(line)
        if "error" in reply:
            raise CSharpError(reply["error"])
        return reply["value"]

    def __call__(self, *words, timeout=TIMEOUT):
        self.send(*words)
        return self.reply(timeout)

    def kill(self):
        self.proc.kill()
        self.proc.wait(TIMEOUT)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("exit")
                self.proc.stdin.close()
                self.proc.wait(TIMEOUT)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.kill()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CSharpError(Exception):
    pass


def peer_modules():
    """The peer library's submodules this suite uses (multiprocessing.X or multiprocess.X)."""
    lib = importlib.import_module(PEER_LIB)
    return types.SimpleNamespace(
        lib=lib,
        shared_memory=importlib.import_module(PEER_LIB + ".shared_memory"),
        resource_tracker=importlib.import_module(PEER_LIB + ".resource_tracker"),
        synchronize=importlib.import_module(PEER_LIB + ".synchronize"),
        get_context=lib.get_context)


@pytest.fixture
def untracked(monkeypatch):
    """The peer library, in a process that only visits objects others own: no registration with a tracker of its own,
    which would unlink them when the test session ends (and Debian's multiprocess cannot start its tracker at all)."""
    m = peer_modules()
    monkeypatch.setattr(m.resource_tracker, "register", lambda *a, **k: None)
    monkeypatch.setattr(m.resource_tracker, "unregister", lambda *a, **k: None)
    return m


def rebuild(mp, cls, kind, maxvalue, name):
    """A lock rebuilt by name, as unpickling does (SemLock.__setstate__)."""
    obj = cls.__new__(cls)
    obj.__setstate__((0, kind, maxvalue, name))
    return obj


def segment_exists(name):
    return os.path.exists("/dev/shm/" + name.lstrip("/"))


def semaphore_exists(name):
    return os.path.exists("/dev/shm/sem." + name.lstrip("/"))


def layout_args():
    """`shm create --list` layout for the running interpreter (3.8 has its own)."""
    import sys
    return ["--layout", "3.8"] if sys.version_info < (3, 9) else []
