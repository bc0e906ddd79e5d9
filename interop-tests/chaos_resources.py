"""What a manager server process holds, read from /proc: file descriptors and threads, for the chaos soak's
"back to the starting counts" (chaos_soak.py).

A .NET server's threads are told apart by name (SyncManagerServer.Connections.cs names them): "manager worker" is
a pooled thread serving no connection (up to MaxIdleWorkers = 16 of them wait IdleWorkerTimeout = 30 s for the next
connection, then exit), "manager <peer>" serves one, ".NET ..." are the runtime's own (tiered compilation, thread
pool: they come and go by themselves and are reported, not compared). Every other thread, and every descriptor but
the assemblies the runtime maps once on first use, must be back to the count it had at the baseline.
"""
import collections
import os
import re
import time

MAX_IDLE_WORKERS = 16
SETTLE = 30.0                   # how long the counts may take to come back (connections closing): a hang guard
WORKER_RETIREMENT = 45.0        # IdleWorkerTimeout (30 s) and some


class Resources:
    def __init__(self, pid, dotnet):
        self.pid, self.dotnet = pid, dotnet
        self.base = None

    def sample(self):
        fds = collections.Counter()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except FileNotFoundError:
                continue
            if not target.endswith((".dll", ".so")):
                fds[re.sub(r"\[\d+\]", "[]", target)] += 1
        threads = collections.Counter()
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/comm") as f:
                    threads[self.kind(f.read().strip())] += 1
            except FileNotFoundError:
                continue
        return {"fds": fds, "threads": threads}

    def kind(self, name):
        if not self.dotnet:
            return "thread"
        if name.startswith(".NET"):
            return "runtime"
        if name == "manager worker":
            return "pooled"
        if name.startswith("manager ") and not name.startswith("manager idle"):
            return "serving"
        return name

    def baseline(self):
        """Waits until two samples 0.2 s apart agree (the warm-up's connections closed), then keeps it."""
        previous = None
        deadline = time.monotonic() + SETTLE
        while time.monotonic() < deadline:
            current = self.sample()
            if current == previous:
                break
            previous = current
            time.sleep(0.2)
        self.base = previous

    def differences(self, current, exact_pool):
        out = []
        if current["fds"] != self.base["fds"]:
            out.append(f"descriptors {dict(current['fds'] - self.base['fds'])} more, "
                       f"{dict(self.base['fds'] - current['fds'])} fewer than at the start")
        now, base = current["threads"], self.base["threads"]
        for kind in set(now) | set(base):
            if kind == "runtime":
                continue
            if kind == "pooled":
                # The baseline's pool may still hold the warm-up's workers, which retire later: once retired
                # (exact_pool), no more than at the start; before, up to MaxIdleWorkers more.
                limit = base[kind] + (0 if exact_pool else MAX_IDLE_WORKERS)
                if now[kind] > limit:
                    out.append(f"{now[kind]} pooled worker threads, more than {limit}")
            elif now[kind] != base[kind]:
                out.append(f"{now[kind]} threads '{kind}', {base[kind]} at the start")
        return out

    def check(self, settle_workers):
        """The differences left once the counts had time to come back; [] when they did."""
        deadline = time.monotonic() + (WORKER_RETIREMENT if settle_workers else SETTLE)
        while True:
            current = self.sample()
            diffs = self.differences(current, settle_workers)
            if not diffs or time.monotonic() > deadline:
                self.last = current
                return [f"server resources: {d}" for d in diffs]
            time.sleep(0.2)
