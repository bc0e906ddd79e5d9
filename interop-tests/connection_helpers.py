"""Helpers shared by the connection interop tests: address conversion, the engine's `echo` peer, timed receives.

The engine's `multiprocess echo` command is the C# side. A session (after the handshake) starts with a mode name:
`echo` (echo until a 0-byte message), `echo-all` (echo everything until EOF), `sink N` (reply `ok <total bytes>`).
"""
import hashlib
import os
import select
import signal
import struct
import subprocess
import tempfile
import threading
import time

from conftest import CLI

TIMEOUT = 20.0          # no single wait in these tests is allowed to take longer
KEY = b"interop secret key"
FAMILIES = ["inet", "unix", "abstract"]


def to_cli(address):
    """A Python Listener address (tuple, str path, '\\0name' str or bytes) in the CLI's text form."""
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(address, bytes):
        address = address.decode()
    if address.startswith("\0"):
        return "@" + address[1:]
    return address


def from_cli(text):
    """The CLI's text form as a Python address: (host, port), path, or '\\0name'."""
    if text.startswith("@"):
        return "\0" + text[1:]
    if "/" in text:
        return text
    host, port = text.rsplit(":", 1)
    return (host.strip("[]"), int(port))


def python_address(family, tmp_path):
    """A fresh address for a Python Listener of the family."""
    if family == "inet":
        return ("127.0.0.1", 0)
    if family == "inet6":
        return ("::1", 0)
    if family == "unix":
        return str(tmp_path / "py-listener.sock")
    return f"\0mp-interop-py-{os.getpid()}-{time.monotonic_ns()}"


def recv(conn, maxlength=None, timeout=TIMEOUT):
    """recv_bytes that fails instead of hanging."""
    assert conn.poll(timeout), f"nothing arrived within {timeout} s"
    return conn.recv_bytes(maxlength) if maxlength is not None else conn.recv_bytes()


def accept(mp, listener, timeout=TIMEOUT):
    """Listener.accept() that fails instead of hanging when nobody connects."""
    ready, _, _ = select.select([listener._listener._socket], [], [], timeout)
    assert ready, f"no client connected to {listener.address!r} within {timeout} s"
    return listener.accept()


def start_connect(address_text, key=KEY, env=None):
    """Starts `multiprocess echo connect ADDRESS --authkey-hex KEY` (the C# client)."""
    args = [CLI, "echo", "connect", address_text]
    if key is not None:
        args += ["--authkey-hex", key.hex()]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def finish(proc, timeout=TIMEOUT):
    """Waits for a CLI process; returns (returncode, stderr text)."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"multiprocess did not exit within {timeout} s: {err.decode(errors='replace')}")
    return proc.returncode, err.decode(errors="replace")


class EchoServer:
    """`multiprocess echo serve` on several addresses; `addresses` maps family → Python address."""

    def __init__(self, families_to_text, key=KEY):
        self.key = key
        args = [CLI, "echo", "serve", ",".join(families_to_text.values()), "--authkey-hex", key.hex()]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("READY "):
            self.proc.kill()
            raise AssertionError(f"echo serve did not report READY: {line!r} {self.proc.stderr.read().decode(errors='replace')}")
        texts = line[len("READY "):].split(",")
        assert len(texts) == len(families_to_text), line
        self.texts = dict(zip(families_to_text, texts))
        self.addresses = {f: from_cli(t) for f, t in self.texts.items()}

    def stop(self):
        """SIGTERM; the server must exit 0 promptly. Returns its stderr."""
        self.proc.send_signal(signal.SIGTERM)
        code, err = finish(self.proc)
        assert code == 0, f"echo serve exited {code} on SIGTERM: {err}"
        return err


def echo_round_trips(conn, sizes):
    """In `echo` mode: each message comes back byte for byte."""
    for size in sizes:
        message = pattern(size)
        conn.send_bytes(message)
        assert recv(conn) == message, f"{size}-byte echo differs"


def pattern(size, seed=0):
    """Deterministic bytes that differ per position and seed (cheap for 64 MiB)."""
    block = hashlib.sha256(struct.pack("!QQ", size, seed)).digest() * 2048   # 64 KiB
    whole, rest = divmod(size, len(block))
    return block * whole + block[:rest]


def many_messages(conn, count, mode):
    """`count` messages pipelined through an echo mode with checksums: a sender thread, the receiver here."""
    conn.send_bytes(mode.encode())
    messages = [struct.pack("!I", i) + pattern(i % 1500, i) for i in range(count)]
    sent = hashlib.sha256()
    failure = []

    def sender():
        try:
            for m in messages:
                conn.send_bytes(m)
                sent.update(m)
        except Exception as e:          # reported by the main thread
            failure.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    received = hashlib.sha256()
    for i, m in enumerate(messages):
        got = recv(conn)
        assert got == m, f"message {i} of {count} came back different ({len(got)} vs {len(m)} bytes)"
        received.update(got)
    t.join(TIMEOUT)
    assert not failure, failure
    assert sent.hexdigest() == received.hexdigest()


def sink(conn, sizes):
    """`sink N`: the reply counts every byte."""
    conn.send_bytes(f"sink {len(sizes)}".encode())
    for s in sizes:
        conn.send_bytes(pattern(s))
    assert recv(conn) == f"ok {sum(sizes)}".encode()


def tmp_socket_path():
    return os.path.join(tempfile.mkdtemp(prefix="mp-interop-"), "cs.sock")
