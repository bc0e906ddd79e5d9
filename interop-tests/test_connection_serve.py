"""C# Listener (`multiprocess echo serve`) ↔ Python Client, over AF_INET, AF_UNIX, abstract AF_UNIX and IPv6.

One server process serves the whole module (many connections, concurrently); it must survive every bad client and
exit 0 on SIGTERM, removing its socket file.
"""
import importlib
import os
import socket

import pytest

from conftest import version_independent
from connection_helpers import (FAMILIES, KEY, TIMEOUT, EchoServer, echo_round_trips, many_messages, pattern, recv,
                                sink, tmp_socket_path)



@pytest.fixture(autouse=True)
def _connection_module(mp):
    """`mp.connection` is a submodule: import it (multiprocessing or multiprocess)."""
    importlib.import_module(mp.__name__ + ".connection")


@pytest.fixture(scope="module")
def server():
    path = tmp_socket_path()
    srv = EchoServer({"inet": "127.0.0.1:0", "unix": path, "abstract": f"@mp-interop-cs-{os.getpid()}",
                      "inet6": "[::1]:0"})
    yield srv
    srv.stop()
    assert not os.path.exists(path), "the AF_UNIX socket file outlived the server"


def connect(mp, server, family, key=KEY):
    """Python's Client; for IPv6 (which Client cannot do: tuples are always AF_INET) a socket + the same handshake."""
    address = server.addresses[family]
    if family != "inet6":
        return mp.connection.Client(address, authkey=key)
    s = socket.create_connection(address, timeout=TIMEOUT)
    s.settimeout(None)
    c = mp.connection.Connection(s.detach())
    mp.connection.answer_challenge(c, key)
    mp.connection.deliver_challenge(c, key)
    return c


@pytest.mark.parametrize("family", FAMILIES + ["inet6"])
def test_handshake_then_every_size_echoes(mp, server, family):
    with connect(mp, server, family) as c:
        c.send_bytes(b"echo-all")
        echo_round_trips(c, [0, 1, 64 * 1024, 1 << 20, 0])


@pytest.mark.parametrize("family", FAMILIES)
def test_receive_into_and_poll(mp, server, family):
    with connect(mp, server, family) as c:
        c.send_bytes(b"echo-all")
        assert not c.poll(0.05), "poll() saw input that nobody sent"
        message = pattern(100)
        c.send_bytes(message)
        assert c.poll(TIMEOUT)
        buf = bytearray(150)
        assert c.recv_bytes_into(buf, 25) == 100
        assert buf[25:125] == message and buf[:25] == bytes(25)

        c.send_bytes(message)
        assert c.poll(TIMEOUT)
        with pytest.raises(mp.BufferTooShort) as e:
            c.recv_bytes_into(bytearray(10))
        assert e.value.args[0] == message
        c.send_bytes(b"z")
        assert recv(c) == b"z"


@pytest.mark.parametrize("family", FAMILIES)
def test_echo_mode_ends_at_empty_message(mp, server, family):
    with connect(mp, server, family) as c:
        c.send_bytes(b"sink 3")
        for m in (b"", b"abc", pattern(70000)):
            c.send_bytes(m)
        assert recv(c) == b"ok 70003"
        c.send_bytes(b"echo")
        echo_round_trips(c, [5])
        c.send_bytes(b"")
        assert c.poll(TIMEOUT)
        with pytest.raises(EOFError):
            c.recv_bytes()


@version_independent
@pytest.mark.parametrize("family", FAMILIES)
def test_large_messages_and_ten_thousand_in_a_row(mp, server, family):
    with connect(mp, server, family) as c:
        c.send_bytes(b"echo-all")
        echo_round_trips(c, [64 << 20])
    with connect(mp, server, family) as c:
        sink(c, [64 << 20, 1 << 20])
        sink(c, [i % 1500 for i in range(10_000)])
    with connect(mp, server, family) as c:
        many_messages(c, 10_000, "echo-all")


@pytest.mark.parametrize("family", FAMILIES)
def test_wrong_key_fails_and_the_server_goes_on(mp, server, family):
    with pytest.raises(mp.AuthenticationError):
        connect(mp, server, family, key=b"not the key")
    with connect(mp, server, family) as c:
        c.send_bytes(b"echo-all")
        echo_round_trips(c, [3])


def test_broken_clients_do_not_stop_the_server(mp, server):
    address = server.addresses["abstract"]
    # Gone before the challenge; a 2 GiB header instead of a response; half a header then gone.
    for garbage in (None, b"\x7f\xff\xff\xff", b"\x00\x00"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(TIMEOUT)
        s.connect(address)
        if garbage is not None:
            s.recv(100)                       # the challenge
            s.sendall(garbage)
        s.close()
    with connect(mp, server, "abstract") as c:
        c.send_bytes(b"no-such-mode")
        assert c.poll(TIMEOUT)
        with pytest.raises(EOFError):
            c.recv_bytes()
    with connect(mp, server, "unix") as c:
        c.send_bytes(b"echo-all")
        echo_round_trips(c, [1])


def test_concurrent_clients(mp, server):
    # More than the 64 sessions the server runs on pool threads: the rest get threads of their own.
    clients = [connect(mp, server, FAMILIES[i % 3]) for i in range(100)]
    try:
        for i, c in enumerate(clients):
            c.send_bytes(b"echo-all")
            c.send_bytes(b"client %d" % i)
        for i, c in enumerate(clients):
            assert recv(c) == b"client %d" % i
    finally:
        for c in clients:
            c.close()


def test_empty_authkey_runs_the_handshake(mp):
    # Python's Client runs the handshake for b'' on every version; so does the engine.
    srv = EchoServer({"abstract": f"@mp-interop-empty-{os.getpid()}"}, key=b"")
    try:
        with mp.connection.Client(srv.addresses["abstract"], authkey=b"") as c:
            c.send_bytes(b"echo-all")
            echo_round_trips(c, [7])
        with pytest.raises(mp.AuthenticationError):
            mp.connection.Client(srv.addresses["abstract"], authkey=b"x")
    finally:
        srv.stop()
