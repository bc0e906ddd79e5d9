"""CPython peers of the packaging tests (Packaging/PackageConsumerTests.cs).

client ADDRESS KEYHEX         a multiprocessing Client of the consumer app's C# Listener: one pickled round trip.
manager KEYHEX                a manager server holding one shared dict (typeid get_shared); READY host:port, then on
                              a line on stdin prints the dict as the server holds it.
echo ADDRESS KEYHEX           a Client of `multiprocess echo serve`: an echo session.
"""
import sys
import threading
from multiprocessing.connection import Client
from multiprocessing.managers import DictProxy, SyncManager


def parse(address):
    host, _, port = address.rpartition(":")
    return (host, int(port))


def client(address, key):
    with Client(parse(address), authkey=key) as c:
        c.send(("ping", 41, [1.5, "x", b"y"]))
        reply = c.recv()
    assert reply == ("pong", 42, [b"y", "x", 1.5]), reply
    print("REPLY", repr(reply))


class SharedManager(SyncManager):
    pass


def manager(key):
    shared = {"from_python": ("tuple", 21)}
    SharedManager.register("get_shared", callable=lambda: shared, proxytype=DictProxy)
    server = SharedManager(address=("127.0.0.1", 0), authkey=key).get_server()
    print("READY %s:%d" % server.address, flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.readline()
    print("SERVER", repr(sorted(shared.items())), flush=True)


def echo(address, key):
    with Client(parse(address), authkey=key) as c:
        c.send_bytes(b"echo")
        for payload in (b"hello", b"x" * 100_000):
            c.send_bytes(payload)
            assert c.recv_bytes() == payload
        c.send_bytes(b"")
    print("ECHOED")


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    if mode == "client":
        client(rest[0], bytes.fromhex(rest[1]))
    elif mode == "manager":
        manager(bytes.fromhex(rest[0]))
    elif mode == "echo":
        echo(rest[0], bytes.fromhex(rest[1]))
    else:
        sys.exit(f"unknown mode {mode!r}")
