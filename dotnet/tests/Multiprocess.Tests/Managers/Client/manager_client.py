"""A Python client of the test manager, run by the C# tests: the other side of "proxies travel".

usage: manager_client.py LIB ADDRESS AUTHKEY
Reads a list proxy that C# put on get_queue() and prints what its nested dict proxy holds; puts a list proxy
holding a dict proxy back for C#; repeats the C# refcount sequence and prints the counts it leaves. One JSON line.
"""
import importlib
import json
import sys

lib, text, authkey = sys.argv[1], sys.argv[2], sys.argv[3].encode()
mp = importlib.import_module(lib)
managers = importlib.import_module(lib + ".managers")
# Unpickled proxies authenticate with the process's authkey (BaseProxy.__init__), as between Python processes.
mp.current_process().authkey = authkey
if text.startswith("@"):
    address = b"\0" + text[1:].encode()
elif "/" in text:
    address = text
else:
    host, port = text.rsplit(":", 1)
    address = (host, int(port))


class TestManager(managers.SyncManager):
    pass


TestManager.register("get_queue")
m = TestManager(address=address, authkey=authkey)
m.connect()


def refcount(ident):
    for line in m._debug_info().splitlines():
        if line.strip().startswith(ident + ":"):
            return int(line.split("refcount=")[1])
    return 0


q = m.get_queue()
received = q.get(timeout=20)
out = {"received_type": type(received).__name__, "inner_type": type(received[0]).__name__,
       "inner_value": received[0]["k"], "inner_len": len(received[0])}

d = m.dict({"py": 1})
nested = m.list([d])
q.put(nested)

# The refcount sequence the C# test repeats: create, nest, read back.
before = m._number_of_objects()
d2 = m.dict()
l2 = m.list()
l2.append(d2)
copy = l2[0]
out["sequence"] = {"objects": m._number_of_objects() - before, "dict_refs": refcount(d2._id), "list_refs": refcount(l2._id)}
del copy, d2, l2
out["after_del"] = m._number_of_objects() - before
print(json.dumps(out), flush=True)
