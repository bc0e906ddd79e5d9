"""Functions the `process` suite runs in CPython children, from C# parents and Python parents alike."""


def noop():
    pass


def square(x):
    return x * x


def consume_rounds(q, done, go):
    """Counts items until None, reports the count on done, then waits for go (None: stop) before the next round, so
    that each consumer takes exactly one None per round."""
    while True:
        count = 0
        while q.get() is not None:
            count += 1
        done.put(count)
        if go.get() is None:
            return


def produce_rounds(q, go, item):
    """For each n read from go, puts n items; None stops."""
    while True:
        n = go.get()
        if n is None:
            return
        for _ in range(n):
            q.put(item)
