"""Chaos soak: N client processes (CPython 3.8 and 3.12 mixed) do queue, dict, lock and counter work against one
manager server while this driver SIGKILLs random clients and restarts them; afterwards every invariant is checked
exactly (docs/testing.md, "Chaos soak"):

- every queue item was consumed exactly once (an item whose put was cut by the kill: at most once);
- the shared counter equals the sum of every incarnation's increments (the lock excluded lost updates);
- no lock is held by a dead client: a client killed holding the lock is released by the driver (a Lock has no
  owner, in CPython's server as in ours: nothing releases it when its holder dies), and the lock ends free;
- the server's object table, file descriptors and threads are back to their starting counts.

    python interop-tests/chaos_soak.py --target serve|shim|cpython [--seconds 60] [--clients 16]

--target serve: `multiprocess serve`; shim: python/multiprocess_dotnet's SyncManager (its server process, mode
'process'); cpython: the stdlib's own server, the reference the other two must match. Exit status 0 when every
invariant holds; the last line is a one-line summary.
"""
import argparse
import collections
import gc
import os
import pathlib
import pickle
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from chaos_client import BOOT, DONE, GOT, HELD, KILLABLE, NAMES, PUT, RECORD, STATUS_SIZE, STOP, WORK, decode, read_status
from chaos_resources import Resources

HERE = pathlib.Path(__file__).resolve().parent
REPO = pathlib.Path(os.environ.get("MULTIPROCESS_REPO", HERE.parent))
WAIT = 60.0                     # for a process to start or stop on a loaded machine: a hang guard, not a bound


class Incarnation:
    """One client process: slot, incarnation number, its journal file."""

    def __init__(self, slot, inc, python, folder, bundle, seed):
        self.slot, self.inc, self.python = slot, inc, python
        self.path = os.path.join(folder, f"status-{slot}-{inc}")
        with open(self.path, "wb") as f:
            f.write(b"\0" * STATUS_SIZE)
        self.proc = subprocess.Popen([python, str(HERE / "chaos_client.py"), str(slot), str(inc), self.path, bundle,
                                      str(seed)], stdin=subprocess.DEVNULL)
        self.killed = False
        self.final = None

    def status(self):
        with open(self.path, "rb") as f:
            return read_status(f.read(STATUS_SIZE))

    def pause(self):
        """SIGSTOP, then wait until it has stopped: kill() only queues the signal, and a client still running on the
        other core would change its journal after we read it. False if it had exited instead."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        pid, status = os.waitpid(self.proc.pid, os.WUNTRACED)
        if os.WIFSTOPPED(status):
            return True
        self.proc.returncode = os.waitstatus_to_exitcode(status)       # reaped here: tell Popen
        return False

    def stop(self):
        with open(self.path, "r+b") as f:
            f.seek(STOP)
            f.write(b"\1")


class Driver:
    def __init__(self, args, manager, server_pid, dotnet, folder):
        self.args, self.m, self.folder = args, manager, folder
        self.rng = random.Random(args.seed)
        self.failures = []
        self.figures = collections.Counter()
        self.resources = Resources(server_pid, dotnet)
        self.baseline_objects = manager._number_of_objects()
        self.q, self.empty_q, self.lock = manager.Queue(), manager.Queue(), manager.Lock()
        self.counts, self.consumed, self.work = manager.dict(total=0), manager.dict(), manager.dict()
        self.proxies = [self.q, self.empty_q, self.lock, self.counts, self.consumed, self.work]
        assert self.counts["total"] == 0                 # opens this thread's proxy connection before the baseline
        self.bundle = os.path.join(folder, "bundle")
        with open(self.bundle, "wb") as f:                 # protocol 4: CPython 3.8 reads it
            pickle.dump((bytes(manager._authkey), pickle.dumps(self.proxies, protocol=4)), f, protocol=4)
        self.all = []
        self.live = {}

    def start(self, slot):
        inc = 1 + sum(1 for c in self.all if c.slot == slot)
        python = self.args.pythons[slot % len(self.args.pythons)]
        c = Incarnation(slot, inc, python, self.folder, self.bundle, self.rng.randrange(2**31))
        self.all.append(c)
        self.live[slot] = c

    def run_clients(self, seconds, clients, kills=True):
        for slot in range(clients):
            self.start(slot)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(self.rng.uniform(0.1, 0.5))
            if kills:
                self.kill_one()
        for c in self.live.values():
            c.stop()
        for c in list(self.live.values()):
            try:
                code = c.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                c.proc.kill()
                c.proc.wait()
                code = "hung"
            c.final = c.status()
            if code != 0 or c.final["state"] != DONE:
                self.failures.append(f"client {c.slot}.{c.inc} ({c.python}) ended with {code}, state "
                                     f"{NAMES.get(c.final['state'])}")
        self.live.clear()

    def kill_one(self):
        """SIGSTOP a random client; kill it if its journal says what it did, else let it go on and retry."""
        for _ in range(50):
            started = [slot for slot, c in self.live.items() if c.status()["state"] != BOOT]
            c = self.live[self.rng.choice(started or sorted(self.live))]
            if c.proc.poll() is not None or not c.pause():
                c.final = c.status()
                self.failures.append(f"client {c.slot}.{c.inc} ({c.python}) exited by itself with "
                                     f"{c.proc.returncode} in state {NAMES.get(c.final['state'])}")
                self.start(c.slot)
                return
            status = c.status()
            # Most of a client's time goes to the blocking get on the empty queue: spread the kills over the rest.
            if status["state"] in KILLABLE and (status["state"] != WORK or self.rng.random() < 0.25):
                os.kill(c.proc.pid, signal.SIGKILL)
                c.proc.wait()
                c.killed, c.final = True, status
                self.figures["kills"] += 1
                self.figures["killed in " + NAMES[status["state"]]] += 1
                self.recover(c)
                self.start(c.slot)
                return
            os.kill(c.proc.pid, signal.SIGCONT)
            self.figures["kill retries"] += 1
            time.sleep(self.rng.uniform(0.001, 0.01))

    def recover(self, c):
        """Does for a killed client what it would have done itself, exactly: nothing in its journal is guessed."""
        s = c.final
        if s["state"] == HELD:
            try:
                self.lock.release()                      # it must still be held: nothing released it at the death
                self.figures["locks released for a dead holder"] += 1
            except RuntimeError as e:
                self.failures.append(f"client {c.slot}.{c.inc} died holding the lock, and the lock was not held: {e}")
        if s["state"] in (GOT, RECORD):
            item = decode(s["got_item_seq"])
            self.consumed.setdefault((c.slot, c.inc, s["got_seq"]), item)
            self.figures["gets recorded for a dead consumer"] += 1
        if s["refs"]:
            managers = sys.modules["multiprocessing.managers"]
            for p in self.proxies:                       # its proxies' increfs: the decrefs it cannot send
                conn = self.m._Client(p._token.address, authkey=self.m._authkey)
                try:
                    managers.dispatch(conn, None, "decref", (p._token.id,))
                finally:
                    conn.close()

    def check(self):
        remaining = []
        while True:
            try:
                remaining.append(tuple(self.q.get_nowait()))
            except queue.Empty:
                break
        certain, maybe = set(), set()
        for c in self.all:
            s = c.final
            certain.update((c.slot, c.inc, n) for n in range(1, s["puts_done"] + 1))
            if s["state"] == PUT and s["put_started"] > s["puts_done"]:
                maybe.add((c.slot, c.inc, s["put_started"]))
        consumed = {k: tuple(v) for k, v in self.consumed.items()}
        seen = collections.Counter(list(consumed.values()) + remaining)
        twice = sorted(k for k, n in seen.items() if n > 1)
        lost = sorted(certain - set(seen))
        unknown = sorted(set(seen) - certain - maybe)
        for what, items in (("consumed more than once", twice), ("lost", lost), ("never put", unknown)):
            if items:
                self.failures.append(f"{len(items)} queue items {what}: {items[:10]}")
        for c in self.all:                               # every get of every incarnation recorded, once
            gets = c.final["gets_recorded"] + (1 if c.killed and c.final["state"] in (GOT, RECORD) else 0)
            mine = sorted(k[2] for k in consumed if k[:2] == (c.slot, c.inc))
            if mine != list(range(1, gets + 1)):
                self.failures.append(f"client {c.slot}.{c.inc}: gets recorded {mine[:10]}..., expected 1..{gets}")
        counts = dict(self.counts)
        total = counts.pop("total")
        journalled = sum(c.final["increments"] for c in self.all)
        if not total == sum(counts.values()) == journalled:
            self.failures.append(f"counter {total}, per-incarnation sum {sum(counts.values())}, journals {journalled}")
        if not self.lock.acquire(False):
            self.failures.append("the lock is held after every client ended")
        else:
            self.lock.release()
        if self.empty_q.qsize():
            self.failures.append("the queue nobody puts to holds items")
        self.figures.update(items=len(certain), items_cut=len(maybe), consumed=len(seen), remaining=len(remaining),
                            increments=total, incarnations=len(self.all),
                            operations=sum(c.final["ops"] for c in self.all))

    def release_objects(self):
        del self.q, self.empty_q, self.lock, self.counts, self.consumed, self.work
        self.proxies.clear()
        gc.collect()
        objects = self.m._number_of_objects()
        if objects != self.baseline_objects:
            self.failures.append(f"object table: {objects} objects, {self.baseline_objects} at the start: "
                                 f"{self.m._debug_info()}")


def start_server(target, folder, authkey):
    """(manager connected to it, server pid, whether it is .NET, stop function)."""
    address = os.path.join(folder, "manager.sock")
    if target == "serve":
        cli = os.environ.get("MULTIPROCESS_CLI") or str(REPO / "dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess")
        log = open(os.path.join(folder, "serve.log"), "wb")             # its connection log: kept with the journals
        proc = subprocess.Popen([cli, "serve", "--address", address, "--authkey-hex", authkey.hex(), "--no-python"],
                                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        line = proc.stdout.readline()
        if not line.startswith(b"READY "):
            proc.kill()
            raise SystemExit(f"multiprocess serve did not start: {line!r}")

        def stop():
            proc.terminate()
            proc.wait(WAIT)
            proc.stdout.close()
        from multiprocessing.managers import SyncManager
        m = SyncManager(address, authkey)
        m.connect()
        return m, proc.pid, True, stop
    if target == "shim":
        os.environ["MULTIPROCESS_DOTNET_SERVER"] = "process"
        sys.path.insert(0, str(REPO / "python"))
        from multiprocess_dotnet.managers import SyncManager
        m = SyncManager(address, authkey)
        m.start()
        return m, m._process.pid, True, m.shutdown
    import multiprocessing
    from multiprocessing.managers import SyncManager
    m = SyncManager(address, authkey, ctx=multiprocessing.get_context("spawn"))
    m.start()
    return m, m._process.pid, False, m.shutdown


def default_pythons():
    found = [os.environ.get("MP_PYTHON_38"), os.environ.get("MP_PYTHON_312")]
    if not all(found):
        raise SystemExit("MP_PYTHON_38 and MP_PYTHON_312 must name CPython 3.8 and 3.12 (source scripts/pythons.sh)")
    return found


def soak(target, seconds, clients, pythons, seed=None, settle_workers=False):
    """Runs one soak; returns (failures, figures)."""
    args = argparse.Namespace(seed=seed if seed is not None else random.randrange(2**31), pythons=pythons)
    folder = tempfile.mkdtemp(prefix="chaos-soak-")
    authkey = os.urandom(16)
    m, pid, dotnet, stop = start_server(target, folder, authkey)
    try:
        d = Driver(args, m, pid, dotnet, folder)
        d.run_clients(2.0, len(pythons))                     # warm-up: every code path once, then the baseline
        d.resources.baseline()
        d.run_clients(seconds, clients)
        d.check()
        d.failures += d.resources.check(settle_workers)
        d.release_objects()
        d.figures["seed"] = args.seed
        return d.failures, d.figures
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", choices=("serve", "shim", "cpython"), default="serve")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seed", type=int)
    p.add_argument("--pythons", help="comma-separated interpreters, used in turn (default: $MP_PYTHON_38,$MP_PYTHON_312)")
    p.add_argument("--settle-workers", action="store_true",
                   help="also wait for the server's idle worker threads to retire (30 s) and require the exact count")
    a = p.parse_args()
    pythons = a.pythons.split(",") if a.pythons else default_pythons()
    failures, figures = soak(a.target, a.seconds, a.clients, pythons, a.seed, a.settle_workers)
    for f in failures:
        print("FAIL:", f)
    print(f"chaos soak {a.target}: {a.clients} clients x {a.seconds:.0f} s, "
          + ", ".join(f"{k} {v}" for k, v in sorted(figures.items())) + f": {'FAILED' if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
