"""The C# manager server with stock clients that use serializer='xmlrpclib' (docs/xmlrpc.md): the default server
tells XML-RPC and pickle connections apart by their first request and serves both on the same objects; what XML-RPC
cannot carry fails as it fails with CPython's own xmlrpclib manager, checked side by side against one; malformed
documents are answered with a traceback, never fatal."""
import importlib
import queue as pyqueue
import xmlrpc.client

import pytest

from conftest import PEER_LIB
from manager_server_helpers import watchdog, ServerProcess


mp = importlib.import_module(PEER_LIB)
managers = importlib.import_module(PEER_LIB + ".managers")
connection = importlib.import_module(PEER_LIB + ".connection")

_shared = pyqueue.Queue()


def get_queue():
    return _shared


class XmlManager(managers.SyncManager):
    pass


XmlManager.register("get_queue", callable=get_queue)


@pytest.fixture(scope="module")
def server():
    s = ServerProcess("inet", extra=["--singleton", "get_queue=Queue", "--no-python"])
    yield s
    assert s.alive(), "the server died during the xmlrpclib tests:\n" + s.log()
    s.stop()


def connect(address, authkey, serializer):
    m = XmlManager(address, authkey, serializer=serializer)
    m.connect()
    return m


def scenario(m):
    """What a stock xmlrpclib client sees for each probe: its value, or the exception's type and the key part of its text."""
    def outcome(call):
        try:
            return ("ok", call())
        except Exception as e:                         # noqa: BLE001 - the outcome is what is compared
            text = str(e)
            for key in ("cannot marshal", "int exceeds XML-RPC limits", "dictionary key must be string",
                        "exceptions must derive from BaseException", "Unserializable message"):
                if key in text:
                    return (type(e).__name__, key)
            return (type(e).__name__, None)

    q = m.get_queue()
    d = m.dict()
    results = [
        outcome(lambda: (q.put((1, "two", None, 2.5, True, b"\x00\xff", [3], {"k": (4,)})), q.get(timeout=5))[1]),
        outcome(lambda: q.put(2 ** 31)),
        outcome(lambda: q.put({1: 2})),
        outcome(lambda: q.put({1, 2})),
        outcome(lambda: q.get(timeout=0.01)),          # queue.Empty: '#ERROR' carries the exception's __dict__
        outcome(lambda: (d.update(a=1, b="x"), sorted(d.items()))[1]),
        outcome(lambda: list(iter(d))),                # __iter__ returns a proxy: '#PROXY' carries a Token
        outcome(lambda: d.get("missing", "default")),
        outcome(lambda: len(d)),
    ]
    return results


def _normalize(value):
    """repr with xmlrpc.client.Binary shown by its data (its repr is an address)."""
    if isinstance(value, xmlrpc.client.Binary):
        return "Binary(%r)" % value.data
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_normalize(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("%r: %s" % (k, _normalize(v)) for k, v in value.items()) + "}"
    return repr(value)


def test_stock_xmlrpclib_client_sees_what_cpythons_xmlrpclib_manager_gives(server):
    with watchdog(60):
        reference = XmlManager(("127.0.0.1", 0), server.authkey, serializer="xmlrpclib")
        reference.start()
        try:
            expected = scenario(reference)
        finally:
            reference.shutdown()
        ours = scenario(connect(server.address, server.authkey, "xmlrpclib"))
    assert _normalize(ours) == _normalize(expected)


def test_pickle_and_xmlrpclib_clients_share_one_server(server):
    with watchdog(60):
        xml = connect(server.address, server.authkey, "xmlrpclib")
        pkl = connect(server.address, server.authkey, "pickle")
        xq, pq = xml.get_queue(), pkl.get_queue()
        xq.put(("tuple", b"bytes", {"k": None}))
        assert pq.get(timeout=5) == ["tuple", b"bytes", {"k": None}]      # XML-RPC made the tuple a list
        pq.put(("back", 7))
        got = xq.get(timeout=5)
        assert got == ["back", 7]
        pq.put(b"raw")
        assert xq.get(timeout=5) == xmlrpc.client.Binary(b"raw")
        assert "(xmlrpclib)" in server.log()


def test_malformed_document_is_answered_with_a_traceback(server):
    with watchdog(60):
        c = connection.Client(server.address, authkey=server.authkey)
        try:
            c.send_bytes(b"<params><param><value><int>1</int></value></param>")    # unclosed <params>
            (reply,), _ = xmlrpc.client.loads(c.recv_bytes().decode())
        finally:
            c.close()
        assert reply[0] == "#TRACEBACK"
        assert "xml.parsers.expat.ExpatError" in reply[1] and "line 1, column" in reply[1]
        assert connect(server.address, server.authkey, "xmlrpclib").get_queue().qsize() >= 0


def test_server_fixed_to_xmlrpclib_refuses_pickles_as_cpython_does():
    with watchdog(60):
        s = ServerProcess("inet", extra=["--serializer", "xmlrpclib", "--no-python"])
        try:
            c = connection.Client(s.address, authkey=s.authkey)
            try:
                c.send((None, "dummy", (), {}))
                reply = xmlrpc.client.loads(c.recv_bytes().decode())[0][0]
            finally:
                c.close()
            # CPython's _xml_loads decodes the frame as UTF-8 first, and a pickle's PROTO opcode is no UTF-8.
            assert reply[0] == "#TRACEBACK" and ("UnicodeDecodeError: 'utf-8' codec can't decode byte 0x80 in position 0: "
                                                 "invalid start byte") in reply[1]
            connect(s.address, s.authkey, "xmlrpclib")          # XML clients are served
        finally:
            s.stop()
