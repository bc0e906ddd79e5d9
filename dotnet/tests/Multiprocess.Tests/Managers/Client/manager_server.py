"""A Python manager for the C# client tests: SyncManager plus test type ids, served in this process.

usage: manager_server.py LIB FAMILY AUTHKEY [SERIALIZER]
  LIB     multiprocessing | multiprocess
  FAMILY  inet (127.0.0.1, ephemeral port) | unix (the library's default AF_UNIX address: a path for
          multiprocessing, an abstract name for multiprocess)
Prints the address in the engine's text form (host:port, a path, or @name), then serves until stdin closes.
"""
import importlib
import os
import queue
import sys
import threading
import time

# Under spawn and forkserver (3.14's default on Linux: the manager's Pool workers) the forkserver or child imports
# this file as __mp_main__: only the __main__ run may parse argv and serve.
if __name__ == "__main__":
    lib, family, authkey = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    serializer = sys.argv[4] if len(sys.argv) > 4 else "pickle"     # 'xmlrpclib': XmlListener (managers.listener_client)
else:
    lib = "multiprocess" if "multiprocess" in sys.modules and "multiprocessing" not in sys.modules else "multiprocessing"
mp = importlib.import_module(lib)
managers = importlib.import_module(lib + ".managers")
reduction = importlib.import_module(lib + ".reduction")

shared_queue = queue.Queue()


class Boom(Exception):
    pass


_sleeping = threading.Event()


class Inspector:
    """Checks, inside the manager, what C# sent: proxies must arrive as working Python proxies."""

    def describe(self, obj):
        return (type(obj).__name__, isinstance(obj, managers.BaseProxy))

    def call(self, obj, method, *args):
        return getattr(obj, method)(*args)

    def dumps(self, obj):
        return bytes(reduction.ForkingPickler.dumps(obj))

    def make_lambda(self):
        return {"f": lambda x: x + 1, "n": 41}

    def apply(self, holder, x):
        f = holder["f"]
        return (f(x), f.__code__.co_code == self.make_lambda()["f"].__code__.co_code)

    def unserializable(self):
        return (i for i in range(3))

    def fail(self, kind):
        if kind == "key":
            raise KeyError("missing")
        if kind == "value":
            raise ValueError("bad value", 7)
        if kind == "custom":
            raise Boom("boom", 1)
        if kind == "assert":
            assert False, "nope"
        return None

    def sleep(self, seconds):
        _sleeping.set()
        time.sleep(seconds)
        return seconds

    def wait_sleeping(self, timeout):
        """Whether a sleep() call has begun (tests wait for it instead of sleeping themselves)."""
        return _sleeping.wait(timeout)

    def pid(self):
        return os.getpid()

    def echo(self, *args, **kwargs):
        return (args, kwargs)


class TestManager(managers.SyncManager):
    pass


TestManager.register("get_queue", callable=lambda: shared_queue)
TestManager.register("Inspector", Inspector)


def main():
    # Proxies that C# sends arrive here as Python proxies; they call back with this process's authkey.
    mp.current_process().authkey = authkey
    address = ("127.0.0.1", 0) if family == "inet" else None
    server = TestManager(address=address, authkey=authkey, serializer=serializer).get_server()
    a = server.address
    if isinstance(a, tuple):
        text = "%s:%d" % a
    elif isinstance(a, bytes):
        text = "@" + a[1:].decode()
    elif a.startswith("\0"):
        text = "@" + a[1:]
    else:
        text = a
    print(text, flush=True)

    def watch_stdin():
        # os.read, not sys.stdin.read(): a thread blocked inside sys.stdin holds its buffer lock, and a Pool worker
        # forked meanwhile deadlocks when its bootstrap closes sys.stdin.
        while os.read(0, 4096):
            pass
        while not hasattr(server, "stop_event"):
            time.sleep(0.05)
        server.stop_event.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
