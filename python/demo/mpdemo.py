"""The module behind `multiprocess demo` and the reverse-direction tests.

Every function here has a C# twin in the `multiprocess` command (dotnet/src/Multiprocess.Cli/Commands/DemoTargets.cs):
a C# Pool runs `collatz_steps` in Python workers and in C# workers alike, and a Python parent that calls
`multiprocessing.set_executable(<path of multiprocess>)` gets C# children for `produce`, `consume`, `echo`,
`joinable_consume`, `exit_with` and `through_forkserver`, which use the parent's queues exactly as these Python versions do.
"""
import sys


def collatz_steps(start, stop):
    """Total Collatz steps of every n in range(start, stop): CPU-bound, deterministic, cheap to check."""
    total = 0
    for n in range(start, stop):
        while n != 1:
            n = 3 * n + 1 if n & 1 else n >> 1
            total += 1
    return total


def collatz_range(bounds):
    """collatz_steps over bounds = (start, stop): one argument, for map and imap."""
    start, stop = bounds
    return collatz_steps(start, stop)


def produce(q, tag, count):
    """Puts tag * 10_000_000 + i for i in range(count)."""
    for i in range(count):
        q.put(tag * 10_000_000 + i)


def consume(q, results):
    """Gets items until None, then puts the list of them on results."""
    got = []
    while True:
        item = q.get()
        if item is None:
            break
        got.append(item)
    results.put(got)


def echo(inq, outq):
    """Copies items from inq to outq until (and including) None."""
    while True:
        item = inq.get()
        outq.put(item)
        if item is None:
            break


def joinable_consume(jq, outq):
    """Gets items from a JoinableQueue until None, puts 2 * item on outq, and calls task_done() for each."""
    while True:
        item = jq.get()
        if item is not None:
            outq.put(2 * item)
        jq.task_done()
        if item is None:
            break


def exit_with(code):
    sys.exit(code)


# Shared ctypes (multiprocessing.Value / Array / RawValue / RawArray) crossing the language boundary: each function
# has a C# twin, and the C# parent of interop-tests/test_sharedctypes.py hands its SharedValue/SharedArray to these.

def add_shared(counter, numbers, n):
    """Adds 1 to counter.value n times, each under its lock (a read-modify-write that loses updates without it), then
    1.0 to every element of numbers under numbers' lock."""
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1
    with numbers.get_lock():
        for i in range(len(numbers)):
            numbers[i] += 1.0


def fill_shared(*objects):
    """Writes 42 + i into element i of each RawArray and 42 into each RawValue, in the ctype's own terms: bytes for
    c_char, str for c_wchar, True for c_bool, numbers otherwise."""
    import ctypes

    def item(t, i):
        if t is ctypes.c_char:
            return bytes([42 + i])
        if t is ctypes.c_wchar:
            return chr(42 + i)
        if t is ctypes.c_bool:
            return True
        return 42 + i

    for obj in objects:
        if isinstance(obj, ctypes.Array):
            for i in range(len(obj)):
                obj[i] = item(obj._type_, i)
        else:
            obj.value = item(type(obj), 0)


_shared = {}


def init_shared(counter, numbers):
    """Pool initializer: keeps the shared objects for add_shared_in_worker."""
    _shared["counter"], _shared["numbers"] = counter, numbers


def add_shared_in_worker(n):
    """In a Pool worker set up by init_shared: n locked increments of the counter; returns len(numbers)."""
    counter = _shared["counter"]
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1
    return len(_shared["numbers"])


def through_forkserver(address, alive_fd, authkey, package, results):
    """C# only (the twin in DemoTargets.cs): a C# child given its Python parent's forkserver (address, a DupFd of the
    alive pipe's write end, the 3.14 authkey or None) has it fork produce(results, 7, 3) and exit_with(5), then puts
    ['exit codes', 0, 5, pid, pid] on results. CPython children cannot reuse a parent's forkserver (each process
    starts its own), so there is no Python body."""
    raise NotImplementedError("through_forkserver runs in the C# twin (multiprocess set as the spawn executable)")
