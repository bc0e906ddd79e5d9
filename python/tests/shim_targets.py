"""Targets that spawned children run (importable by name, as spawn requires)."""
import os


def fill(d, q, lock, counter, start, count):
    for i in range(start, start + count):
        d[i] = i * i
        q.put(("item", i))
        with lock:
            counter.value += 1


def report_pid(q):
    q.put(os.getpid())


class Accumulator:
    """A class registered with a BaseManager: it runs in the parent, inside the .NET-served manager."""

    def __init__(self, start=0):
        self.total = start
        self.items = []

    def add(self, x):
        self.total += x
        self.items.append(x)
        return self.total

    def get_total(self):
        return self.total

    def history(self):
        return list(self.items)

    def fail(self, message):
        raise KeyError(message)

    def _private(self):
        return "hidden"


def use_accumulator(proxy, n):
    for i in range(n):
        proxy.add(1)


class AppendTrue:
    """A Barrier action: appends True to a list proxy."""

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        self.obj.append(True)


def report_proxy_path(d, key):
    """Stores in d[key] what this child's proxy runs on: (lean class?, connection class, engine loaded?)."""
    import sys
    d["warm"] = 1                                   # makes this thread's connection
    d[key] = ("_dotnet_stock_type" in type(d).__dict__, type(d._tls.connection).__name__,
              "multiprocess_dotnet._engine" in sys.modules)


def use_after_fork(d, key):
    """In a forked child: the thread-local connection the parent made is gone (ForkAwareLocal), a call makes one."""
    had = "connection" in d._tls.__dict__
    d[key] = os.getpid()
    d[key + "-state"] = (had, type(d._tls.connection).__name__)
