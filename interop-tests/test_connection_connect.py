"""Python Listener ↔ C# Client (`multiprocess echo connect`), over AF_INET, AF_UNIX, abstract AF_UNIX and IPv6.

The Python side drives the session; the C# process must exit 0 when it ends normally, 2 on an authentication
failure, 1 on any other error.
"""
import hmac
import importlib
import os
import sys

import pytest

from conftest import PEER_FOLLOWS_CPYTHON, version_independent
from connection_helpers import (FAMILIES, KEY, TIMEOUT, accept, echo_round_trips, finish, many_messages, pattern,
                                python_address, recv, sink, start_connect, to_cli)

MODERN = sys.version_info >= (3, 12)


@pytest.fixture(autouse=True)
def _connection_module(mp):
    """`mp.connection` is a submodule: import it (multiprocessing or multiprocess)."""
    importlib.import_module(mp.__name__ + ".connection")


def listener(mp, family, tmp_path, authkey=KEY):
    extra = {"family": "AF_INET6"} if family == "inet6" else {}
    return mp.connection.Listener(python_address(family, tmp_path), authkey=authkey, **extra)


@pytest.mark.parametrize("family", FAMILIES + ["inet6"])
def test_handshake_sizes_receive_into_and_poll(mp, tmp_path, family):
    with listener(mp, family, tmp_path) as l:
        proc = start_connect(to_cli(l.address))
        with accept(mp, l) as c:
            c.send_bytes(b"echo-all")
            echo_round_trips(c, [0, 1, 64 * 1024, 1 << 20])
            assert not c.poll(0.05)
            c.send_bytes(pattern(100))
            assert c.poll(TIMEOUT)
            buf = bytearray(120)
            assert c.recv_bytes_into(buf, 20) == 100 and buf[20:] == pattern(100)
            c.send_bytes(pattern(100))
            assert c.poll(TIMEOUT)
            with pytest.raises(mp.BufferTooShort) as e:
                c.recv_bytes_into(bytearray(99))
            assert e.value.args[0] == pattern(100)
        code, err = finish(proc)
        assert code == 0, err


@pytest.mark.parametrize("family", FAMILIES)
def test_echo_mode_empty_message_ends_the_client(mp, tmp_path, family):
    with listener(mp, family, tmp_path) as l:
        proc = start_connect(to_cli(l.address))
        with accept(mp, l) as c:
            sink(c, [0, 10, 70000])
            c.send_bytes(b"echo")
            echo_round_trips(c, [3])
            c.send_bytes(b"")
            code, err = finish(proc)
            assert code == 0, err
            assert c.poll(TIMEOUT)
            with pytest.raises(EOFError):
                c.recv_bytes()


@version_independent
@pytest.mark.parametrize("family", FAMILIES)
def test_large_messages_and_ten_thousand_in_a_row(mp, tmp_path, family):
    with listener(mp, family, tmp_path) as l:
        proc = start_connect(to_cli(l.address))
        with accept(mp, l) as c:
            sink(c, [64 << 20])
            c.send_bytes(b"echo")
            echo_round_trips(c, [64 << 20])
            c.send_bytes(b"")
        assert finish(proc)[0] == 0
        proc = start_connect(to_cli(l.address))
        with accept(mp, l) as c:
            many_messages(c, 10_000, "echo-all")
        code, err = finish(proc)
        assert code == 0, err


@pytest.mark.parametrize("family", FAMILIES)
def test_wrong_key_raises_here_and_exits_2_there(mp, tmp_path, family):
    with listener(mp, family, tmp_path) as l:
        proc = start_connect(to_cli(l.address), key=b"not the key")
        with pytest.raises(mp.AuthenticationError):
            accept(mp, l)
        code, err = finish(proc)
        assert code == 2, err
        assert "authentication" in err.lower()


@pytest.mark.parametrize("digest", ["legacy", "md5", "sha256", "sha384", "sha3_256", "sha3_384"])
def test_challenge_digests_are_answered(mp, tmp_path, digest):
    if digest != "legacy" and not (MODERN and PEER_FOLLOWS_CPYTHON):
        pytest.skip(f"{mp.__name__} on {sys.version.split()[0]} has no digest_name (legacy HMAC-MD5 protocol only)")
    with listener(mp, "abstract", tmp_path, authkey=None) as l:
        proc = start_connect(to_cli(l.address))
        with accept(mp, l) as c:
            if digest == "legacy":
                # What a 3.8–3.11 server sends: 20 random bytes, answered with a raw 16-byte HMAC-MD5.
                message = os.urandom(20)
                c.send_bytes(b"#CHALLENGE#" + message)
                assert recv(c, 256) == hmac.new(KEY, message, "md5").digest()
                c.send_bytes(b"#WELCOME#")
            else:
                mp.connection.deliver_challenge(c, KEY, digest_name=digest)
            mp.connection.answer_challenge(c, KEY)
            c.send_bytes(b"echo-all")
            echo_round_trips(c, [9])
        code, err = finish(proc)
        assert code == 0, err


def test_default_listener_address(mp, peer_lib):
    # stdlib (and multiprocess 0.70.19): a path in a pymp- folder; multiprocess 0.70.12 (on Linux): an abstract
    # '\0listener-<pid>-<n>'.
    with mp.connection.Listener(authkey=KEY) as l:
        address = l.address
        if not PEER_FOLLOWS_CPYTHON:
            assert address[:1] in (b"\0", "\0"), address
        else:
            assert "/pymp-" in address, address
        proc = start_connect(to_cli(address))
        with accept(mp, l) as c:
            c.send_bytes(b"echo-all")
            echo_round_trips(c, [11])
        code, err = finish(proc)
        assert code == 0, err


def test_empty_authkey_follows_the_python_version(mp, tmp_path):
    # 3.8–3.12 (and multiprocess 0.70.12): Listener(authkey=b'') skips the handshake, so the engine must not send a
    # key; 3.13+ (and multiprocess 0.70.19 on 3.14): b'' runs it, and the engine runs it for an empty key as well.
    runs_handshake = sys.version_info >= (3, 13) and PEER_FOLLOWS_CPYTHON
    with listener(mp, "abstract", tmp_path, authkey=b"") as l:
        proc = start_connect(to_cli(l.address), key=b"" if runs_handshake else None)
        with accept(mp, l) as c:
            c.send_bytes(b"echo-all")
            echo_round_trips(c, [13])
        code, err = finish(proc)
        assert code == 0, err


def test_errors_exit_1_with_a_message(mp, tmp_path):
    missing = str(tmp_path / "nobody-listens.sock")
    code, err = finish(start_connect(missing))
    assert code == 1 and missing in err, err

    with listener(mp, "unix", tmp_path) as l:
        proc = start_connect(to_cli(l.address))
        with accept(mp, l) as c:
            c.send_bytes(b"dance")
            code, err = finish(proc)
            assert code == 1 and "unknown mode 'dance'" in err, err
