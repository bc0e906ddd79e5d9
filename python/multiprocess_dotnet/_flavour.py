"""The two Python libraries whose managers the shim serves: CPython's `multiprocessing` and the dill-based fork
`multiprocess` (its "dill flavour"). The wire protocol is the same; what differs is the pickler each side uses.

A `multiprocess` client pickles with dill (`multiprocess.reduction.ForkingPickler`): lambdas, closures and classes of
`__main__` travel by value, and dill names the main module's dict `__builtin__.__main__`, which only dill's Unpickler
resolves (plain `pickle.loads` fails with "No module named '__builtin__'"). The .NET server keeps such values as
they came (it decodes them losslessly and writes them back the same), so it needs nothing of dill; but the objects
only Python can run (Pool, Barrier actions, registered callables: _pyhost.Referents) receive those arguments, and
their results may be functions too. So the interpreter that runs them loads the server's requests with the
flavour's `ForkingPickler.loads` and pickles the replies with its `ForkingPickler`, as `multiprocess`'s own server does.
"""
import importlib
import io
import pickle

__all__ = ["LIBRARIES", "library_of", "Codec", "codec"]

LIBRARIES = ("multiprocessing", "multiprocess")


def library_of(obj):
    """'multiprocess' when `obj` (a manager class, a context, a module) belongs to the dill-based fork, else
    'multiprocessing'."""
    classes = obj.__mro__ if isinstance(obj, type) else type(obj).__mro__
    for cls in classes:
        root = (cls.__module__ or "").partition(".")[0]
        if root == "multiprocess":
            return "multiprocess"
    return "multiprocessing"


class Codec:
    """loads/dumps of the requests and replies between the .NET server and the Python side of one library."""

    def __init__(self, library):
        if library not in LIBRARIES:
            raise ValueError("unknown library %r: expected one of %s" % (library, ", ".join(LIBRARIES)))
        self.library = library
        self._reduction = importlib.import_module(library + ".reduction")
        self.loads = pickle.loads if library == "multiprocessing" else self._reduction.ForkingPickler.loads

    def dumps(self, obj):
        buf = io.BytesIO()
        self._reduction.ForkingPickler(buf, 4).dump(obj)
        return buf.getvalue()


_codecs = {}


def codec(library):
    c = _codecs.get(library)
    if c is None:
        c = _codecs[library] = Codec(library)
    return c
