"""Python types served by `multiprocess serve --register` / `--manager` in the host tests
(test_manager_server_pyhost.py). Imported by the server's Python host and by the clients: this folder is on
PYTHONPATH in every tox env."""
import importlib
import os
import time

managers = importlib.import_module(os.environ.get("MP_PEER_LIB", "multiprocessing") + ".managers")


class Counter:
    def __init__(self, start=0):
        self.n = start

    def increment(self, by=1):
        self.n += by
        return self.n

    def value(self):
        return self.n

    def fork(self):
        """A new Counter from this one: returned as a proxy (method_to_typeid)."""
        return Counter(self.n)

    def fail(self):
        raise ValueError("counter failed at %d" % self.n)

    def _private(self):
        return "private"


class CounterProxy(managers.BaseProxy):
    _exposed_ = ("increment", "value", "fork", "fail")
    _method_to_typeid_ = {"fork": "ForkedCounter"}

    def increment(self, by=1):
        return self._callmethod("increment", (by,))

    def value(self):
        return self._callmethod("value")

    def fork(self):
        return self._callmethod("fork")

    def fail(self):
        return self._callmethod("fail")


def squares(n):
    for i in range(n):
        yield i * i


class CounterManager(managers.BaseManager):
    pass


CounterManager.register("Counter", Counter, CounterProxy)
CounterManager.register("ForkedCounter", proxytype=CounterProxy, create_method=False)   # only made by fork()
CounterManager.register("squares", squares, managers.IteratorProxy)
CounterManager.register("AutoCounter", Counter)
CounterManager.register("HiddenCounter", Counter, exposed=("value", "_private"))

STATE = {"initialized": 0}


def initialize(value=1, extra=None):
    """The server's initializer (serve --initializer): what `value_of_state` then reports."""
    STATE["initialized"] = value
    STATE["extra"] = extra


class State:
    def get(self, key):
        return STATE.get(key)


def state(key):
    """STATE[key] where this runs (a Pool worker of the server)."""
    return STATE.get(key)


def initialize_pool(tag):
    """A Pool's initializer: records its tag and what the server's initializer had set before it ran."""
    STATE["pool"] = (tag, STATE["initialized"])


CounterManager.register("State", State)


class AppendTrue:
    """A Barrier action (as CPython's tests use): appends True to a list proxy."""

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        self.obj.append(True)


def raise_error():
    raise RuntimeError("action failed")


class Sleeper:
    """A registered type whose call can be caught mid-way (the host-kill test): sleep_marked writes the marker file
    once it is running, then sleeps."""

    def square(self, x):
        return x * x

    def pid(self):
        return os.getpid()                        # the host serving this object (the test kills it by this id)

    def sleep_marked(self, marker, seconds):
        open(marker, "w").close()                # the test waits for the file, not for a guessed time
        time.sleep(seconds)


class SleeperManager(managers.SyncManager):
    pass


SleeperManager.register("Sleeper", Sleeper)
