"""multiprocess 0.70.12's tests are CPython 3.9's: on 3.10+ they expect helpers that moved out of test.support.
`install()` puts them back; the manager tests run it in the test process and, as the server's initializer
(`multiprocess serve --initializer peer_compat:install`), in the Python host that unpickles the tests' functions."""
import importlib


def install():
    import test.support as support
    for helper in ("import_helper", "os_helper", "socket_helper", "threading_helper", "warnings_helper"):
        try:
            module = importlib.import_module("test.support." + helper)
        except ImportError:
            continue
        for name in dir(module):
            if not name.startswith("_") and not hasattr(support, name):
                setattr(support, name, getattr(module, name))


def install_then_call(blob):
    """An initializer for the Python host: install(), then unpickle (func, args) and call func(*args)."""
    import pickle
    install()
    func, args = pickle.loads(blob)
    if func is not None:
        func(*args)
