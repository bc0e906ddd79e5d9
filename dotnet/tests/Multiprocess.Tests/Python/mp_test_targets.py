"""Targets the C# tests start in CPython children (PythonProcess, Pool). Importable from 3.8 to 3.14."""
import os
import signal
import sys
import time

import multiprocessing as mp

_initialized = None


# --- spawn round trips -------------------------------------------------------------------------------------------

def report(q, *args, **kwargs):
    """Puts everything the child knows about its start on q."""
    proc = mp.current_process()
    parent = mp.parent_process() if hasattr(mp, "parent_process") else None
    q.put({
        "args": args,
        "kwargs": kwargs,
        "name": proc.name,
        "daemon": proc.daemon,
        "identity": proc._identity,
        "authkey": bytes(proc.authkey),
        "pid": os.getpid(),
        "parent_pid": parent.pid if parent else None,
        "parent_alive": parent.is_alive() if parent else None,
        "cwd": os.getcwd(),
        "sys_path": sys.path[:5],
        "start_method": mp.get_start_method(allow_none=True),
        "version": "%d.%d" % sys.version_info[:2],
    })


def exit_with(code):
    sys.exit(code)


def exit_none():
    raise SystemExit()


def raise_value_error(message):
    raise ValueError(message)


def print_both(out, err):
    print(out)
    print(err, file=sys.stderr)


def sleep(seconds):
    time.sleep(seconds)


def kill_self(signum):
    os.kill(os.getpid(), signum)


def wait_for_parent_exit(q):
    q.put(os.getpid())
    mp.parent_process().join(30)
    sys.exit(7 if not mp.parent_process().is_alive() else 8)


# --- queues --------------------------------------------------------------------------------------------------------

def produce(q, tag, count):
    for i in range(count):
        q.put(tag * 10_000_000 + i)


def consume_until_none(q, results):
    got = []
    while True:
        item = q.get()
        if item is None:
            break
        got.append(item)
    results.put(got)


def echo_until_none(inq, outq):
    while True:
        item = inq.get()
        outq.put(item)
        if item is None:
            break


def joinable_consume(jq, outq):
    while True:
        item = jq.get()
        if item is None:
            jq.task_done()
            break
        time.sleep(0.001)
        outq.put(item * 2)
        jq.task_done()


def joinable_produce(jq, count):
    for i in range(count):
        jq.put(i)
    jq.join()


def send_connection(q, conn, ack):
    """Puts a Connection on a queue (outside spawning: it travels through this process's resource sharer, which must
    live until the receiver has fetched the fd)."""
    conn.send_bytes(b"before")
    q.put(conn)
    ack.get()


def use_connection_from(q, message):
    """Gets a Connection from a queue (fetched from the sender's resource sharer) and writes to it."""
    conn = q.get()
    conn.send_bytes(message)
    conn.close()


# --- locks ---------------------------------------------------------------------------------------------------------

def hand_off(lock, rlock, sem, ev, cond, q):
    """The C# parent holds `lock` and `rlock`: this child sees both held, signals `sem`, waits for `ev` (set once the
    parent let go of both), takes them itself, and wakes the parent through `cond`; each step reported on `q`."""
    q.put(("held by the parent", not lock.acquire(False), not rlock.acquire(False)))
    sem.release()
    q.put(("event", ev.wait(60)))
    got = lock.acquire(timeout=60) and rlock.acquire(timeout=60) and rlock.acquire(False)
    with cond:
        q.put(("taken", got, os.getpid()))
        cond.notify_all()
    rlock.release()
    rlock.release()
    lock.release()


# --- pool ----------------------------------------------------------------------------------------------------------

def square(x):
    return x * x


def add(a, b):
    return a + b


def fail_on(x, bad):
    if x == bad:
        raise ValueError("bad item %r" % (x,))
    return x


def kill_on(x, bad):
    if x == bad:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def slow_identity(x, seconds=0.01):
    time.sleep(seconds)
    return x


def pid_of(_):
    return os.getpid()


def init_global(value):
    global _initialized
    _initialized = value


def read_global(_):
    return _initialized


def collatz_steps(start, stop):
    total = 0
    for n in range(start, stop):
        while n != 1:
            n = 3 * n + 1 if n & 1 else n >> 1
            total += 1
    return total


# --- forkserver ----------------------------------------------------------------------------------------------------

def echo_connection(conn):
    """Sends each message back upper-cased until b'stop' (conn reached the child in its arguments: under a forkserver
    as popen_forkserver._DupFd, i.e. an fd sent with the request)."""
    while True:
        message = conn.recv_bytes()
        if message == b"stop":
            break
        conn.send_bytes(message.upper())
    conn.close()


def noop():
    pass


def die_mid_result_write(ready_path):
    """In a pool worker: takes the result queue's write lock as SimpleQueue.put does, writes the start of a frame (a
    header announcing 1000 bytes, then 10 of them), says so by creating ready_path (holding its pid), and waits to be
    SIGKILLed there:
    a worker killed while writing its result, with the lock held and the result pipe out of step."""
    import struct
    f = sys._getframe(1)
    while f is not None and f.f_code.co_name != "worker":
        f = f.f_back
    outqueue = f.f_locals["outqueue"]
    outqueue._wlock.acquire()
    os.write(outqueue._writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    with open(ready_path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(ready_path + ".tmp", ready_path)
    time.sleep(120)


def die_after_whole_result(ready_path):
    """In a pool worker: takes the result queue's write lock as SimpleQueue.put does, writes this task's whole result
    frame ((job, i, (True, 'written before the kill'))), says so by creating ready_path (holding its pid), and waits
    to be SIGKILLed there, before releasing the lock: a worker killed between its write and the release."""
    from multiprocessing.reduction import ForkingPickler
    f = sys._getframe(1)
    while f is not None and f.f_code.co_name != "worker":
        f = f.f_back
    outqueue, job, i = f.f_locals["outqueue"], f.f_locals["job"], f.f_locals["i"]
    outqueue._wlock.acquire()
    outqueue._writer.send_bytes(ForkingPickler.dumps((job, i, (True, "written before the kill"))))
    with open(ready_path + ".tmp", "w") as out:
        out.write(str(os.getpid()))
    os.rename(ready_path + ".tmp", ready_path)
    time.sleep(120)


def die_mid_task_read(ready_path, nbytes):
    """In a pool worker: takes the task queue's read lock as SimpleQueue.get does, reads the first nbytes of the next
    task frame (blocking until one is written), says so by creating ready_path (holding its pid), and waits to be
    SIGKILLed there: a worker killed while reading a task, with the rest of that frame left in the pipe."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_name != "worker":
        f = f.f_back
    inqueue = f.f_locals["inqueue"]
    inqueue._rlock.acquire()
    open(ready_path + ".locked", "w").close()
    got = b""
    while len(got) < nbytes:
        got += os.read(inqueue._reader.fileno(), nbytes - len(got))
    with open(ready_path + ".tmp", "w") as out:
        out.write(str(os.getpid()))
    os.rename(ready_path + ".tmp", ready_path)
    time.sleep(120)


def hold_result_lock(ready_path):
    """In a pool worker: takes the result queue's write lock and keeps it, as a worker does between writing its result
    and releasing the lock (SimpleQueue.put), says so by creating ready_path (holding its pid), and waits there to be
    terminated: terminate() then kills a worker that holds the lock."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_name != "worker":
        f = f.f_back
    f.f_locals["outqueue"]._wlock.acquire()
    with open(ready_path + ".tmp", "w") as out:
        out.write(str(os.getpid()))
    os.rename(ready_path + ".tmp", ready_path)
    time.sleep(120)
