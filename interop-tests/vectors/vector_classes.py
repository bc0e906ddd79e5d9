"""Classes the golden vectors pickle by reference (module `vector_classes`). The C# side never imports them: it
reads their instances as lossless reduce values. Kept importable so Python can load the vectors back."""
import collections


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __eq__(self, other):
        return type(other) is Slotted and (self.a, self.b) == (other.a, other.b)


class TupleState:
    def __init__(self, *values):
        self.values = values

    def __getstate__(self):
        return self.values

    def __setstate__(self, state):
        self.values = state

    def __eq__(self, other):
        return type(other) is TupleState and self.values == other.values


class KwOnly:
    """__getnewargs_ex__: NEWOBJ_EX at protocol 4+."""

    def __new__(cls, *, name):
        self = object.__new__(cls)
        self.name = name
        return self

    def __getnewargs_ex__(self):
        return (), {"name": self.name}

    def __eq__(self, other):
        return type(other) is KwOnly and self.name == other.name


class MyList(list):
    """A list subclass with an attribute: NEWOBJ + APPENDS + BUILD."""

    def __eq__(self, other):
        return type(other) is MyList and list(self) == list(other) and self.__dict__ == other.__dict__


class MyDict(dict):
    def __eq__(self, other):
        return type(other) is MyDict and dict(self) == dict(other) and self.__dict__ == other.__dict__


class MyError(Exception):
    pass


Pair = collections.namedtuple("Pair", "left right")
