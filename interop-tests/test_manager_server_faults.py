"""The C# manager server under misbehaving clients: killed mid-request, malformed requests, wrong keys, garbage
before the handshake, hundreds of connections at once; and its command line (READY line, signals, key sources,
client shutdown) and SharedMemoryManager's segment tracking."""
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from conftest import CLI, run_cli, version_independent
from manager_server_helpers import watchdog, TIMEOUT, ServerProcess, dispatch, wait_until_reading_a_socket, wait_until_requests_taken


@pytest.fixture(scope="module")
def server(peer_lib):
    s = ServerProcess("inet")
    yield s
    assert s.alive(), "the server died during the fault tests:\n" + s.log()
    s.stop()


@pytest.fixture(scope="module")
def m(server):
    return server.manager()


def managers(mp):
    return __import__(mp.__name__ + ".managers").managers


def raw_client(mp, server, key=None):
    return mp.connection.Client(server.address, authkey=server.authkey if key is None else key)


def child_script(server, body):
    """Python source for a separate client process connected to the server."""
    return (
        f"import sys, time\n"
        f"from {sys.modules['conftest'].PEER_LIB}.managers import SyncManager, BaseProxy\n"
        f"import {sys.modules['conftest'].PEER_LIB} as mp\n"
        f"mp.current_process().authkey = bytes.fromhex('{server.authkey.hex()}')\n"
        f"m = SyncManager({server.address!r}, bytes.fromhex('{server.authkey.hex()}'))\n"
        f"m.connect()\n" + body
    )


def test_client_killed_while_blocked_leaves_no_hole(m, server):
    q = m.Queue()
    d = m.dict(keep="me")
    token = q._token
    # A separate process blocks in q.get() on its own connection, then is SIGKILLed.
    code = child_script(server, (
        f"from {sys.modules['conftest'].PEER_LIB}.managers import AutoProxy, Token\n"
        f"q = AutoProxy(Token({token.typeid!r}, {server.address!r}, {token.id!r}), 'pickle', manager=m, authkey=m._authkey, exposed={tuple(q._exposed_)!r})\n"
        "q.qsize()\n"                                # this thread's connection made: q.get() only sends and reads
        "print('blocking', flush=True)\n"
        "q.get()\n"
        "print('got an item', flush=True)\n"))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline() == b"blocking\n", child.stderr.read()
    wait_until_reading_a_socket(child.pid)            # the get() is written: the server will block in it
    wait_until_requests_taken(child.pid)              # ... once it has read it (else it may take the first put)
    child.kill()
    child.wait(TIMEOUT)
    for i in range(5):                                # nothing may vanish into the dead client's connection
        q.put(i)
    assert [q.get(timeout=5) for _ in range(5)] == list(range(5))
    assert d["keep"] == "me" and server.alive()


def test_client_killed_mid_frame(m, server, mp):
    d = m.dict(a=1)
    sock = socket.create_connection(server.address) if isinstance(server.address, tuple) else None
    conn = raw_client(mp, server)
    conn.send((None, "accept_connection", ("half",), {}))
    assert conn.recv() == ("#RETURN", None)
    # A header announcing 1000 bytes, then 10 of them, then the client is gone.
    os.write(conn.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    conn.close()
    if sock:
        sock.close()
    assert d["a"] == 1 and server.alive()


def test_malformed_requests_are_answered_and_isolated(m, server, mp):
    d = m.dict(x=1)
    # One-shot connection: bytes that are no pickle → a traceback reply, then the connection closes.
    conn = raw_client(mp, server)
    conn.send_bytes(b"\x80\x04this is not a pickle")
    kind, text = conn.recv()
    assert kind == "#TRACEBACK" and "UnpicklingError" in text
    conn.close()
    # Requests of the wrong shape.
    for bad, expected in [(42, "cannot unpack non-iterable int"), ((None, "create"), "not enough values to unpack"),
                          ((None, "create", 5, {}), "argument after \\* must be an iterable")]:
        conn = raw_client(mp, server)
        conn.send(bad)
        kind, text = conn.recv()
        conn.close()
        assert kind == "#TRACEBACK" and __import__("re").search(expected, text), text
    # A proxy connection survives garbage: answered with a traceback, the next request works.
    conn = raw_client(mp, server)
    conn.send((None, "accept_connection", ("garbage",), {}))
    assert conn.recv() == ("#RETURN", None)
    conn.send_bytes(b"garbage")
    kind, _ = conn.recv()
    assert kind == "#TRACEBACK"
    conn.send(("no-such-ident", "__len__", (), {}))
    kind, text = conn.recv()
    assert kind == "#TRACEBACK" and "KeyError: 'no-such-ident'" in text
    conn.send((d._token.id, "__len__", (), {}))
    assert conn.recv() == ("#RETURN", 1)
    conn.close()
    assert d["x"] == 1


def test_wrong_key_is_rejected_without_disturbing_others(m, server, mp):
    d = m.dict()
    with pytest.raises(mp.AuthenticationError):
        raw_client(mp, server, key=b"wrong key")
    bad = managers(mp).SyncManager(server.address, b"wrong key")
    with pytest.raises(mp.AuthenticationError):
        bad.connect()
    d["still"] = "works"
    assert d["still"] == "works"


def test_garbage_and_silence_before_the_handshake(m, server):
    d = m.dict()
    garbage = socket.create_connection(server.address)
    garbage.sendall(b"\xff\xff\xff\xff" + b"\x7f" * 8 + b"nonsense")     # an absurd 12-byte length header
    silent = socket.create_connection(server.address)                   # connects, never answers the challenge
    for i in range(20):
        d[i] = i
    assert len(d) == 20
    garbage.close()
    silent.close()


def test_hundreds_of_concurrent_connections(m, server, mp):
    """Each proxy connection is served by its own thread (as in CPython): open 300 at once, then use them all."""
    d = m.dict(n=0)
    ident = d._token.id
    conns = []
    try:
        for i in range(300):
            c = raw_client(mp, server)
            c.send((None, "accept_connection", (f"client-{i}",), {}))
            assert c.recv() == ("#RETURN", None)
            conns.append(c)
        for i, c in enumerate(conns):
            c.send((ident, "__setitem__", (i, i), {}))
        for c in conns:
            assert c.recv() == ("#RETURN", None)
    finally:
        for c in conns:
            c.close()
    assert len(d) == 301


def test_blocked_client_does_not_stall_the_others(m):
    lock = m.Lock()
    lock.acquire()
    waiting = threading.Thread(target=lambda: lock.acquire(timeout=3))
    waiting.start()
    start = time.monotonic()
    q = m.Queue()
    for i in range(100):
        q.put(i)
    assert time.monotonic() - start < 2.5
    lock.release()
    waiting.join(5)


def test_shared_memory_manager_segments(peer_lib, mp):
    pytest.importorskip(mp.__name__ + ".shared_memory")
    tracker = __import__(mp.__name__ + ".resource_tracker").resource_tracker
    try:
        tracker.ensure_running()
    except TypeError as e:       # Debian's multiprocess 0.70.12 on newer CPythons (docs/peers.md)
        pytest.skip(f"{peer_lib} cannot start its resource tracker on this Python: {e}")
    s = ServerProcess("unix")
    try:
        smm = managers(mp).SharedMemoryManager(s.address, s.authkey)
        smm.connect()
        block = smm.SharedMemory(64)
        sl = smm.ShareableList([1, "two"])
        names = dispatch(mp, s.address, s.authkey, "list_segments")
        assert names == [block.name, sl.shm.name]
        dispatch(mp, s.address, s.authkey, "release_segment", (sl.shm.name,))
        assert dispatch(mp, s.address, s.authkey, "list_segments") == [block.name]
        assert not os.path.exists("/dev/shm/" + sl.shm.name.lstrip("/"))
        assert os.path.exists("/dev/shm/" + block.name.lstrip("/"))
        dispatch(mp, s.address, s.authkey, "shutdown")    # the server unlinks what it still tracks, then exits
        assert s.proc.wait(TIMEOUT) == 0
        assert not os.path.exists("/dev/shm/" + block.name.lstrip("/"))
        block.close()
        sl.shm.close()
        # This process's resource tracker registered both segments: they are gone, so tell it.
        for name in (block._name, sl.shm._name):
            tracker.unregister(name, "shared_memory")
    finally:
        s.stop()


def test_client_shutdown_stops_the_server(mp):
    s = ServerProcess("abstract")
    m2 = s.manager()
    m2.dict()
    conn = mp.connection.Client(s.address, authkey=s.authkey)
    conn.send((None, "shutdown", (), {}))
    assert conn.recv() == ("#RETURN", None)
    conn.close()
    assert s.proc.wait(TIMEOUT) == 0
    assert "shutdown requested by a client" in s.log()


@version_independent
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_the_server_cleanly(sig):
    s = ServerProcess("unix")
    path = s.address
    assert os.path.exists(path)
    assert s.stop(sig) == 0
    assert not os.path.exists(path), "the socket file should be removed"


def test_key_sources(tmp_path, mp):
    key = os.urandom(16)
    key_file = tmp_path / "key"
    key_file.write_bytes(key)
    hex_file = tmp_path / "key.hex"
    hex_file.write_text("hex:" + key.hex() + "\n")
    for args, env, stdin in [(["--authkey-file", str(key_file)], None, None),
                             (["--authkey-file", str(hex_file)], None, None),
                             (["--authkey-env", "MGR_TEST_KEY"], {"MGR_TEST_KEY": key.hex()}, None),
                             (["--authkey-stdin"], None, key.hex().encode() + b"\n")]:
        proc = subprocess.Popen([CLI, "serve", "--address", "127.0.0.1:0", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        try:
            if stdin:
                proc.stdin.write(stdin)
                proc.stdin.flush()
            line = proc.stdout.readline().decode()
            assert line.startswith("READY "), proc.stderr.read()
            host, port = line.split()[1].rsplit(":", 1)
            mm = managers(mp).SyncManager((host, int(port)), key)
            mm.connect()
            assert mm.list([1])[0] == 1
        finally:
            proc.terminate()
            proc.wait(TIMEOUT)


@version_independent
def test_command_line_errors():
    assert run_cli("serve", "--address", "127.0.0.1:0", check=False).returncode == 2          # no key
    bad = run_cli("serve", "--address", "nonsense", "--authkey-hex", "00", check=False)
    assert bad.returncode == 2 and b"is not a connection address" in bad.stderr
    assert run_cli("serve", "--authkey-hex", "00", check=False).returncode == 2              # no address
    taken = ServerProcess("inet")
    try:
        busy = run_cli("serve", "--address", taken.text, "--authkey-hex", "00", check=False)
        assert busy.returncode == 1 and b"Could not listen" in busy.stderr
    finally:
        taken.stop()


@pytest.fixture(autouse=True)
def _watchdog():
    with watchdog(120):
        yield
