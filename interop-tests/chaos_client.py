"""One client process of the chaos soak (chaos_soak.py): stock CPython proxies doing queue, dict, lock and counter
work against a manager server until the driver says stop, or kills it.

Runs on any CPython 3.8+ with the stdlib only (the driver mixes interpreters). Every step that matters for the
accounting is journalled in a small file the driver maps too (STATUS below): the driver stops this process
(SIGSTOP), reads the journal, and either kills it, knowing exactly what it had done, or lets it go on
(docs/testing.md, "Chaos soak").

    python chaos_client.py SLOT INCARNATION STATUS_FILE BUNDLE_FILE SEED
"""
import mmap
import pickle
import queue
import random
import struct
import sys

# The journal: byte 0 is written by the driver (1 = stop), the rest by this process. A field is written before the
# state byte that makes it meaningful, so a process stopped between the two shows the older state.
STOP, STATE, REFS = 0, 1, 2
PUT_STARTED, PUTS_DONE, GETS_RECORDED, GOT_ITEM_SEQ, GOT_SEQ, INCREMENTS, OPS = 8, 16, 24, 32, 40, 48, 56
STATUS_SIZE = 64

# States. KILLABLE: the driver may kill the process in it and still account for everything exactly.
BOOT = 0        # not started yet: holds nothing
STARTING = 1    # unpickling the proxies: increfs in flight (how many reached the server is unknown)
IDLE = 2        # between requests
PUT = 3         # q.put((slot, inc, PUT_STARTED)) in flight: the item reaches the queue or not (0 or 1 times)
GET = 4         # q.get in flight: an item the server took would be lost with the reply
GOT = 5         # got the item (slot, inc) seq GOT_ITEM_SEQ as get number GOT_SEQ; not recorded yet
RECORD = 6      # consumed[(slot, inc, GOT_SEQ)] = item in flight (the driver's setdefault is idempotent with it)
ACQUIRE = 7     # lock.acquire() in flight: granted or not is unknown
HELD = 8        # holding the lock, no write in flight (a read may be)
UPDATE = 9      # holding the lock, counts.update in flight
RELEASE = 10    # lock.release() in flight
WORK = 11       # dict work or a blocking get on the always-empty queue in flight: nothing to account for
EXITING = 12    # stop seen: dropping the proxies (decrefs in flight)
DONE = 13
KILLABLE = frozenset({BOOT, IDLE, PUT, GOT, RECORD, HELD, WORK})
NAMES = {v: k for k, v in dict(BOOT=BOOT, STARTING=STARTING, IDLE=IDLE, PUT=PUT, GET=GET, GOT=GOT, RECORD=RECORD,
                               ACQUIRE=ACQUIRE, HELD=HELD, UPDATE=UPDATE, RELEASE=RELEASE, WORK=WORK,
                               EXITING=EXITING, DONE=DONE).items()}


def read_status(buf):
    """The journal as a dict (the driver's view)."""
    fields = dict(stop=buf[STOP], state=buf[STATE], refs=buf[REFS])
    for name, off in (("put_started", PUT_STARTED), ("puts_done", PUTS_DONE), ("gets_recorded", GETS_RECORDED),
                      ("got_item_seq", GOT_ITEM_SEQ), ("got_seq", GOT_SEQ), ("increments", INCREMENTS),
                      ("ops", OPS)):
        fields[name] = struct.unpack_from("<q", buf, off)[0]
    return fields


class Journal:
    def __init__(self, path):
        self._file = open(path, "r+b")
        self.mm = mmap.mmap(self._file.fileno(), STATUS_SIZE)

    def state(self, value):
        self.mm[STATE] = value

    def set(self, offset, value):
        struct.pack_into("<q", self.mm, offset, value)

    def stopped(self):
        return self.mm[STOP] != 0


def main(slot, inc, status_path, bundle_path, seed):
    import multiprocessing
    j = Journal(status_path)
    with open(bundle_path, "rb") as f:
        authkey, blob = pickle.load(f)
    multiprocessing.current_process().authkey = authkey
    j.state(STARTING)
    q, empty_q, lock, counts, consumed, work = pickle.loads(blob)       # one incref per proxy
    j.mm[REFS] = 1
    j.state(IDLE)
    rng = random.Random(seed)
    key = (slot, inc)
    put_seq = gets = increments = ops = 0
    while not j.stopped():
        op = rng.randrange(10)
        if op < 3:
            put_seq += 1
            j.set(PUT_STARTED, put_seq)
            j.state(PUT)
            q.put((slot, inc, put_seq))
            j.set(PUTS_DONE, put_seq)
        elif op < 6:
            j.state(GET)
            try:
                item = q.get(timeout=0.01)
            except queue.Empty:
                item = None
            if item is not None:
                gets += 1
                j.set(GOT_ITEM_SEQ, encode(item))
                j.set(GOT_SEQ, gets)
                j.state(GOT)
                j.state(RECORD)
                consumed[(slot, inc, gets)] = tuple(item)
                j.set(GETS_RECORDED, gets)
        elif op < 8:
            j.state(ACQUIRE)
            lock.acquire()
            j.state(HELD)
            total = counts["total"]
            j.state(UPDATE)
            counts.update({"total": total + 1, key: increments + 1})
            increments += 1
            j.set(INCREMENTS, increments)
            j.state(HELD)
            j.state(RELEASE)
            lock.release()
        elif op == 8:
            j.state(WORK)
            work[key] = ops
            assert work[key] == ops
        else:
            j.state(WORK)
            try:                                   # nobody puts here: a client killed now dies blocked in the server
                empty_q.get(timeout=0.02)
                raise AssertionError("an item appeared in the queue nobody puts to")
            except queue.Empty:
                pass
        ops += 1
        j.set(OPS, ops)
        j.state(IDLE)
    j.state(EXITING)
    del q, empty_q, lock, counts, consumed, work                         # one decref per proxy
    import gc
    gc.collect()
    j.state(DONE)


def encode(item):
    """A queue item (slot, inc, seq) as one int64 for the journal."""
    slot, inc, seq = item
    return (slot << 48) | (inc << 32) | seq


def decode(value):
    return (value >> 48, (value >> 32) & 0xFFFF, value & 0xFFFFFFFF)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
