"""The module behind `multiprocess demo` and the reverse-direction tests.

Every function here has a C# twin in the `multiprocess` command (dotnet/src/Multiprocess.Cli/Commands/DemoTargets.cs):
a C# Pool runs `collatz_steps` in Python workers and in C# workers alike, and a Python parent that calls
`multiprocessing.set_executable(<path of multiprocess>)` gets C# children for `produce`, `consume`, `echo`,
`joinable_consume` and `exit_with`, which use the parent's queues exactly as these Python versions do.
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
