"""The dill flavour's fast path for plain values (_connection.py's LeanConnection under `multiprocess`).

dill pickles and unpickles with pure-Python code: ~190,000 instructions per proxy call, against ~23,000 for the
whole call with C's pickle (docs/shim-steady-state.md, "The client's path"). For a value made only of exact
builtin types dill writes the bytes C's pickle writes (its own reducers are for functions, classes, modules, a
module's dict, ...; `test_lean_proxy.py::test_plain_values_pickle_as_dill_does` compares them), so such a request
is pickled by C. A reply is loaded by C unless it names a global (a class, a function: what dill's Unpickler may
resolve differently, `__builtin__.__main__` and the like), in which case dill loads it as before.
"""
import io
import pickle

__all__ = ["is_plain", "dumps_or", "loads_or"]

_ATOMS = frozenset((str, bytes, int, float, bool, type(None)))
# Items looked at before giving up (a larger value goes to dill, slow anyway). Kept well below 1,000, the batch
# of APPENDS/SETITEMS, where C's pickle and the pure-Python one part (a dict of 1,000 items already differs).
_LIMIT = 500
_FRAME = 65536                  # a pickle this long spans frames: left to dill rather than compared frame by frame


def is_plain(obj):
    """Whether `obj` is made only of str, bytes, int, float, bool, None, tuple, list and dict (a dict without a
    '__name__' key: dill pickles a module's dict by reference), at most _LIMIT items in all (so no cycle)."""
    stack = [obj]
    left = _LIMIT
    while stack:
        o = stack.pop()
        left -= 1
        if left < 0:
            return False
        t = type(o)
        if t in _ATOMS:
            continue
        if t is tuple or t is list:
            stack.extend(o)
        elif t is dict:
            if "__name__" in o:
                return False
            stack.extend(o)
            stack.extend(o.values())
        else:
            return False
    return True


def dumps_or(obj, fallback):
    """C's pickle of a plain value at the default protocol (what multiprocess's ForkingPickler.dumps writes for it)
    when it is shorter than a frame; else `fallback(obj)`."""
    if is_plain(obj):
        data = pickle.dumps(obj)
        if len(data) < _FRAME:
            return data
    return fallback(obj)


class _NamesAGlobal(Exception):
    pass


class _PlainUnpickler(pickle.Unpickler):
    """C's Unpickler that refuses every global and persistent id: what it loads, dill would load the same."""

    def find_class(self, module, name):
        raise _NamesAGlobal

    def persistent_load(self, pid):
        raise _NamesAGlobal


def loads_or(data, fallback):
    """The value of pickle `data` (a buffer), by C's Unpickler when it names no global, else by `fallback`."""
    try:
        return _PlainUnpickler(io.BytesIO(data)).load()
    except Exception:
        return fallback(data)                # a global, or anything C refused: dill decides, as before

