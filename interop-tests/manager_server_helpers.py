"""Helpers of the manager-server interop tests: the engine's `multiprocess serve` (the C# SyncManager server)
started as a subprocess, and stock Python managers connected to it.

The server is started with the test process's own authkey, as a Python manager would be, so that proxies sent to
child processes (which use `current_process().authkey`) can connect back.
"""
import contextlib
import faulthandler
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import CLI, PEER_LIB

TIMEOUT = 20.0


@contextlib.contextmanager
def watchdog(seconds=120):
    """Fails the whole run (traceback of every thread, exit) instead of hanging if a test does not finish in time."""
    faulthandler.dump_traceback_later(seconds, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def from_cli(text):
    """The CLI's text form as a Python address: (host, port), path, or '\\0name'."""
    if text.startswith("@"):
        return "\0" + text[1:]
    if "/" in text:
        return text
    host, port = text.rsplit(":", 1)
    return (host.strip("[]"), int(port))


def to_cli(address):
    """A Python address ((host, port), path, '\\0name' or b'\\0name') in the CLI's text form."""
    if isinstance(address, tuple):
        host, port = address[:2]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(address, bytes):
        address = address.decode()
    return "@" + address[1:] if address.startswith("\0") else address


def cli_address(family):
    """A fresh address of the family, in the CLI's text form."""
    if family == "inet":
        return "127.0.0.1:0"
    if family == "inet6":
        return "[::1]:0"
    if family == "unix":
        folder = tempfile.mkdtemp(prefix="mgr-test-")
        return os.path.join(folder, "manager.sock")
    return f"@mgr-test-{os.getpid()}-{time.monotonic_ns()}"


class ServerProcess:
    """`multiprocess serve` running in the background; `address` is the Python form clients pass to SyncManager."""

    def __init__(self, family="unix", authkey=None, extra=(), address=None, cli=CLI):
        mp = __import__(PEER_LIB)
        self.authkey = bytes(mp.current_process().authkey) if authkey is None else authkey
        self.stderr = tempfile.TemporaryFile()
        address = cli_address(family) if address is None else address
        # The Python host (Pool, Barrier actions, registered callables) runs this test's interpreter and peer library.
        host = [] if "--no-python" in extra else ["--python", sys.executable, "--flavour", PEER_LIB]
        args = [cli, "serve", "--address", address, "--authkey-hex", self.authkey.hex(), *host, *extra]
        # SIGINT back to its default in the child: a shell without job control starts background jobs (a CI runner's
        # too) with SIGINT ignored, .NET then keeps it ignored, and the SIGINT tests would measure the launcher.
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        line = self._readline(TIMEOUT)
        if not line.startswith(b"READY "):
            self.stop()
            raise AssertionError(f"multiprocess serve did not start: {line!r}; stderr: {self.log()}")
        self.text = line[6:].decode().strip()
        self.address = from_cli(self.text)

    def _readline(self, timeout):
        result = []
        t = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        return result[0] if result else b""

    def manager(self, cls=None):
        """A stock manager connected to the server."""
        mp = __import__(PEER_LIB + ".managers").managers
        m = (cls or mp.SyncManager)(self.address, self.authkey)
        m.connect()
        return m

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        return self.proc.returncode


# read(2)'s number in /proc/PID/syscall, per architecture (asm/unistd.h).
_READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}


def wait_until_reading_a_socket(pid, timeout=TIMEOUT):
    """Waits until process `pid` sits in read(2) on a socket (/proc/PID/syscall): a client that has written its
    request and waits for the reply. The event a test waits for where a sleep would only guess."""
    import platform
    read = _READ_SYSCALL[platform.machine()]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/syscall") as f:
                fields = f.read().split()
            if len(fields) > 1 and fields[0] == read and os.readlink(f"/proc/{pid}/fd/{int(fields[1], 16)}").startswith("socket:"):
                return
        except OSError:
            pass                                        # running (no syscall to show), or the fd just closed
        time.sleep(0.001)
    raise AssertionError(f"process {pid} did not block reading a socket within {timeout} s")


def wait_until_requests_taken(pid, timeout=TIMEOUT):
    """Waits until the server has read what process `pid` wrote to its AF_UNIX sockets: each of them shows an empty
    send queue in `ss -x` (for an AF_UNIX stream socket, Send-Q counts the bytes the peer has not read yet). A client
    that sits in read(2) has written its request, but the server may not have taken it yet: a test that kills the
    client then depends on the server's scheduling. Without `ss`, returns at once."""
    import shutil
    if shutil.which("ss") is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-x", "-n", "-p"], capture_output=True, text=True).stdout
        mine = [line.split() for line in out.splitlines() if f"pid={pid}," in line]
        if all(len(f) > 3 and f[3] == "0" for f in mine):
            return
        time.sleep(0.001)
    raise AssertionError(f"the server did not read process {pid}'s request within {timeout} s")


def dispatch(mp, address, authkey, funcname, args=()):
    """A one-shot request (what BaseManager does for create/incref/decref/...)."""
    managers = __import__(PEER_LIB + ".managers").managers
    conn = mp.connection.Client(address, authkey=authkey)
    try:
        return managers.dispatch(conn, None, funcname, args)
    finally:
        conn.close()


def run_python(code, timeout=TIMEOUT, env=None):
    """Runs a snippet in a fresh interpreter of this test's version with this test's peer library."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=timeout, env=full_env)


@pytest.fixture(scope="module")
def server(peer_lib):
    """`multiprocess serve` for a test module, on the peer library's default family: multiprocess defaults to
    abstract addresses on Linux, the stdlib to paths, so each peer is tested on its default."""
    s = ServerProcess("abstract" if peer_lib == "multiprocess" else "unix")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def m(server):
    """A connected stock SyncManager on that server."""
    return server.manager()
