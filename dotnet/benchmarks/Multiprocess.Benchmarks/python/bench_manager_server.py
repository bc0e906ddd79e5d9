"""Stock CPython manager clients against a manager server: the C# one (address given) or CPython's own
SyncManager server (started here). Prints bench_common JSON lines:

* "<case>, N clients": aggregate wall time per operation over N client processes (ns/op; ops/s = 1e9 / ns)
* "<case>, N clients: server kernel CPU per call" / "server user CPU per call": that CPU time split between the
  kernel (system calls, sleeps and wake-ups) and user space, by the kernel share of the server's CPU in the case's
  samples from /proc/PID/stat read around each (stime / (utime + stime), 10 ms ticks: the note says how many, how
  precise, and how much CPU the server spent over the case outside its samples); not reported when the samples gave
  the server under 50 ms of CPU (--smoke)
* "<case>, N clients: client CPU per call": each client's own CPU time per call (mean over clients)
* "<case>, N clients: server CPU per call": the server process's CPU time (user + system, all its threads) over
  the sample, divided by the calls of all clients: what the server costs the machine per call
* "<case>, N clients: latency p50" / "latency p99": one call's round trip as a client sees it (over all samples)
* "server start": SyncManager().start() (CPython only; the C# side times its own start)
* "m.dict() over TCP, 1 client": proxy creation latency (3 connections) on a TCP address

--paired-with NAME (with --address/--authkey/--server-pid) also starts CPython's server (its own process, reported
as NAME) and runs every case's samples on the two servers by rounds, alternately (C#, CPython, CPython, C#, ...):
a change of load or of where the kernel places client and serving thread then hits both alike instead of whichever
ran during it. Each line of the first server then carries "ratio": the median over rounds of NAME's sample over
its own of the same round (paired), and a note with the ratio of the two medians.

--serializer xmlrpclib makes every manager (the clients' and CPython's server) use the XML-RPC serializer
(`SyncManager(..., serializer='xmlrpclib')`) instead of pickle.

usage: bench_manager_server.py --impl NAME (--address ADDR --authkey HEX --server-pid PID [--paired-with NAME] | --cpython)
                               [--clients 1,2,4] [--cases PREFIX,...] [--tcp-only] [--serializer pickle|xmlrpclib] [--smoke]
"""
import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from multiprocessing.managers import SyncManager

from bench_common import SMOKE, report

SERIALIZER = "pickle"          # --serializer: every SyncManager made here uses it
WARMUP_SECONDS = 3.0
ROUNDS = 5                     # samples per case and server; --paired-with: 9 rounds of half-size samples
START_DELAY = 0.02             # the clients start a sample together this long after it is sent

# calls per client per sample (each call = one request/reply on the client's proxy connection; proxy creation =
# 4 connections: create, incref, decref, and the previous proxy's decref). All clients share one object, so the
# Lock, RLock, Semaphore(1) and Condition cases contend from 2 clients on.
CASES = {
    "dict set/get": 3000,
    "list append": 3000,
    "Queue put/get": 3000,
    "Lock acquire/release": 3000,
    "RLock acquire/release": 3000,
    "Semaphore acquire/release": 3000,
    "Condition acquire/notify/release": 3000,
    "proxy creation m.dict()": 150,
}


def server_cpu_ns(pid):
    """The server process's CPU time so far, user + system over all its threads, dead ones included: the sum that
    /proc/PID/stat reports as utime + stime in clock ticks (10 ms), read in nanoseconds through the process's
    CPU-time clock (clock_getcpuclockid(pid): MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) = (~pid << 3) | 2)."""
    return time.clock_gettime_ns((~pid << 3) | 2)


def server_ticks(pid):
    """The server process's (utime, stime) so far from /proc/PID/stat, in clock ticks (USER_HZ, 10 ms): the kernel's
    split of its CPU time between user space and the kernel. The split is sampled (the scheduler tick, CONFIG_HZ,
    finds the process in one mode or the other) and scaled to the precise total, then truncated to 10 ms: useless
    for one sample of a few ms, usable summed over a case's samples (hundreds of ms of server CPU)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


MIN_SPLIT_TICKS = 5             # below 50 ms of server CPU over a case (--smoke) the split is not reported


def kernel_share(ticks, samples, outside_ns):
    """(kernel share of the server's CPU in its samples, the note saying how precise it is), or (None, reason).
    ticks: (utime, stime) summed over the samples; outside_ns: the server's CPU over the case's rounds outside its
    own samples (precise), which the share leaves out."""
    user, system = ticks
    total = user + system
    if total < MIN_SPLIT_TICKS:
        return None, "%d ticks of 10 ms" % total
    share = system / total
    # Each sample's utime and stime differences are off by under one tick (both readings truncated: a spread of sd
    # ~0.41 tick), so their sums over n samples by ~0.41 √n ticks (1 sd); the scheduler tick's sampling of the
    # split (CONFIG_HZ) adds noise of its own.
    sd = 100 * 0.41 * samples ** 0.5 / total
    return share, ("kernel share %.0f %% of the server's CPU in its %d samples (/proc/PID/stat around each: utime %d"
                   " + stime %d ticks of 10 ms; ±%.0f pts, 1 sd of the ticks' truncation) times the CPU clock's"
                   " per-sample figures; the server also spent %.1f ms of CPU over the case outside its samples"
                   % (100 * share, samples, user, system, sd, outside_ns / 1e6))


def run_case(case, n, proxies, m, lat):
    """Runs n calls of the case; appends each call's round trip (ns) to lat."""
    d, lst, q, lock, rlock, sem, cond = proxies
    now = time.perf_counter_ns
    if case == "dict set/get":
        key = os.getpid()
        for i in range(n // 2):
            t0 = now()
            d[key] = i
            t1 = now()
            d[key]
            lat += (t1 - t0, now() - t1)
    elif case == "list append":
        for i in range(n):
            t0 = now()
            lst.append(i)
            lat.append(now() - t0)
    elif case == "Queue put/get":
        for i in range(n // 2):
            t0 = now()
            q.put(i)
            t1 = now()
            q.get()
            lat += (t1 - t0, now() - t1)
    elif case in ("Lock acquire/release", "RLock acquire/release", "Semaphore acquire/release"):
        x = lock if case[0] == "L" else rlock if case[0] == "R" else sem
        for _ in range(n // 2):
            t0 = now()
            x.acquire()
            t1 = now()
            x.release()
            lat += (t1 - t0, now() - t1)
    elif case == "Condition acquire/notify/release":
        for _ in range(n // 3):
            t0 = now()
            cond.acquire()
            t1 = now()
            cond.notify()
            t2 = now()
            cond.release()
            lat += (t1 - t0, t2 - t1, now() - t2)
    elif case == "proxy creation m.dict()":
        x = None
        for _ in range(n):
            t0 = now()
            x = m.dict()
            lat.append(now() - t0)
        del x
    else:
        raise ValueError(case)


def calls(case, n):
    """How many calls run_case makes for n."""
    if case in ("dict set/get", "Queue put/get") or "acquire/release" in case:
        return n // 2 * 2
    return n // 3 * 3 if case.startswith("Condition") else n


def worker(conn, servers):
    """One client process: connected to every server (address, authkey, proxies); runs the samples it is sent."""
    managers = []
    for address, authkey, _ in servers:
        mp.current_process().authkey = authkey
        m = SyncManager(address, authkey, serializer=SERIALIZER)
        m.connect()
        managers.append(m)
    while True:
        cmd = conn.recv()
        if cmd is None:
            break
        i, case, n, start_at = cmd
        mp.current_process().authkey = servers[i][1]
        while time.monotonic() < start_at:
            time.sleep(0.001)
        lat = []
        c0, t0 = time.process_time(), time.monotonic()
        run_case(case, n, servers[i][2], managers[i], lat)
        t1, c1 = time.monotonic(), time.process_time()
        conn.send((t0, t1, c1 - c0, lat))


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def clear_list(lst):
    """Empties the shared list between cases: `lst *= 0` (ListProxy.__imul__), since `del lst[:]` sends a slice, which
    the xmlrpclib serializer cannot carry."""
    lst._callmethod("__imul__", (0,))


def connect(impl, address, authkey, server_pid):
    """A server to measure: its name, address, authkey, process id, manager and shared objects."""
    mp.current_process().authkey = authkey
    m = SyncManager(address, authkey, serializer=SERIALIZER)
    m.connect()
    proxies = (m.dict(), m.list(), m.Queue(), m.Lock(), m.RLock(), m.Semaphore(1), m.Condition())
    return {"impl": impl, "address": address, "authkey": authkey, "pid": server_pid, "m": m, "proxies": proxies}


def per_sample(case):
    """Calls per client per sample: CASES, a twentieth with --smoke; half when paired (9 rounds instead of 5)."""
    return max(3, CASES[case] // (20 if SMOKE else 2 if len(SERVERS) > 1 else 1))


SERVERS = []


def bench(servers, client_counts, cases, rounds):
    """Every case at every client count on every server: rounds of one sample per server, the order alternating
    (0 1, 1 0, 0 1, ...), after one unmeasured round. With one server this is the plain sequence of samples."""
    SERVERS[:] = servers
    # Untimed rounds of every case first, for at least WARMUP_SECONDS: a server measured from its start would count
    # the C# runtime's tiered JIT (methods recompiled optimized in the background, ~100 ms after their first calls,
    # over the first seconds) against the first samples; one round was not enough when a run has few cases (--cases).
    warm_until = time.monotonic() + (0 if SMOKE else WARMUP_SECONDS)
    while True:
        for srv in servers:
            mp.current_process().authkey = srv["authkey"]
            for case in cases:
                run_case(case, per_sample(case), srv["proxies"], srv["m"], [])
            if "list append" in cases:
                clear_list(srv["proxies"][1])
        if time.monotonic() >= warm_until:
            break
    ctx = mp.get_context("fork")
    shared = [(srv["address"], srv["authkey"], srv["proxies"]) for srv in servers]
    for clients in client_counts:
        pipes, procs = [], []
        for _ in range(clients):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker, args=(child, shared), daemon=True)
            p.start()
            pipes.append(parent)
            procs.append(p)
        for case in cases:
            n = per_sample(case)
            k = calls(case, n)
            agg, cpu, server, lat = ([[] for _ in servers] for _ in range(4))
            # the kernel's split of each server's CPU in its samples: (utime, stime) ticks summed over the samples;
            # and its CPU over the measured rounds, to say how much fell outside its samples
            ticks = [[0, 0] for _ in servers]
            span = [0] * len(servers)
            for r in range(rounds + 1):                      # round 0 warms up
                if r == 1:
                    span = [-server_cpu_ns(srv["pid"]) for srv in servers]
                order = range(len(servers)) if r % 2 == 0 else reversed(range(len(servers)))
                for i in order:
                    start_at = time.monotonic() + START_DELAY
                    t0 = server_ticks(servers[i]["pid"])
                    s0 = server_cpu_ns(servers[i]["pid"])
                    for c in pipes:
                        c.send((i, case, n, start_at))
                    res = [c.recv() for c in pipes]
                    s1 = server_cpu_ns(servers[i]["pid"])
                    t1 = server_ticks(servers[i]["pid"])
                    if r == 0:
                        continue
                    ticks[i][0] += t1[0] - t0[0]
                    ticks[i][1] += t1[1] - t0[1]
                    wall = max(x[1] for x in res) - min(x[0] for x in res)
                    agg[i].append(wall / (k * clients) * 1e9)
                    cpu[i].append(statistics.mean(x[2] for x in res) / k * 1e9)
                    server[i].append((s1 - s0) / (k * clients))
                    for x in res:
                        lat[i] += x[3]
            shares = [kernel_share(ticks[i], len(server[i]), span[i] + server_cpu_ns(srv["pid"]) - sum(server[i]) * k * clients)
                      for i, srv in enumerate(servers)]
            plural = "client" if clients == 1 else "clients"
            name = f"{case}, {clients} {plural}"
            for i, srv in enumerate(servers):
                # the first server's lines are paired with the last one's (the baseline) samples of the same rounds
                paired = i == 0 and len(servers) > 1
                line(name, srv["impl"], agg[i], agg[-1] if paired else None, k * clients)
                line(f"{name}: server CPU per call", srv["impl"], server[i], server[-1] if paired else None, k * clients)
                share, share_note = shares[i]
                base_share = shares[-1][0]
                if share is not None:
                    # user and kernel parts of each sample by the case's share, paired like the total where the
                    # baseline's share is known too. A part of 0 ticks (all the ticks fell in the other mode: 100 %
                    # kernel happens) is no figure to report, nor to divide by.
                    for label, part, base_part in (("kernel", share, base_share), ("user", 1 - share, 1 - (base_share or 0))):
                        if part <= 0:
                            continue
                        pair = paired and base_share is not None and base_part > 0
                        line(f"{name}: server {label} CPU per call", srv["impl"], [x * part for x in server[i]],
                             [x * base_part for x in server[-1]] if pair else None, k * clients, share_note)
                line(f"{name}: client CPU per call", srv["impl"], cpu[i], cpu[-1] if paired else None, k)
                lat[i].sort()
                for label, p in (("p50", 0.5), ("p99", 0.99)):
                    v = percentile(lat[i], p)
                    report(f"{name}: latency {label}", srv["impl"], (v, v, len(lat[i]), 1))
                if case == "list append":
                    mp.current_process().authkey = srv["authkey"]
                    clear_list(srv["proxies"][1])
        for c in pipes:
            c.send(None)
        for p in procs:
            p.join(30)


def line(case, impl, samples, baseline, ops, note=None):
    """A result line; with the baseline's samples of the same rounds, also the paired ratio (median over rounds of
    baseline / this) and, in the note, the ratio of the medians."""
    result = {"case": case, "impl": impl, "min_ns": min(samples), "median_ns": statistics.median(samples),
              "samples": len(samples), "ops": ops}
    notes = [note] if note else []
    pairs = [b / s for s, b in zip(samples, baseline) if s > 0] if baseline is not None else []
    if pairs:
        result["ratio"] = statistics.median(pairs)
        notes.insert(0, "ratio paired by round (median of %d; ratio of the medians %.2f×)" % (
            len(samples), statistics.median(baseline) / result["median_ns"]))
    if notes:
        result["note"] = "; ".join(notes)
    print(json.dumps(result, ensure_ascii=False), flush=True)


def tcp_proxy_creation(impl, address, authkey, samples):
    m = SyncManager(address, authkey, serializer=SERIALIZER)
    m.connect()
    times = []
    for _ in range(samples * 5):
        t = time.perf_counter_ns()
        d = m.dict()
        times.append(time.perf_counter_ns() - t)
        del d
    report("m.dict() over TCP, 1 client", impl, (min(times), statistics.median(times), len(times), 1))


def server_start(impl, samples):
    times = []
    for _ in range(samples):
        t = time.perf_counter_ns()
        m = SyncManager(authkey=b"bench key")
        m.start()
        times.append(time.perf_counter_ns() - t)
        m.shutdown()
    report("server start", impl, (min(times), statistics.median(times), samples, 1))


def selected_cases(prefixes):
    """The cases --cases asks for, each by a prefix of its name ("Lock" is "Lock acquire/release" alone)."""
    wanted = [p for p in prefixes.split(",") if p]
    return [c for c in CASES if any(c.startswith(p) for p in wanted)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True)
    ap.add_argument("--address")
    ap.add_argument("--authkey")
    ap.add_argument("--server-pid", type=int, help="the C# server's process (its CPU time is measured)")
    ap.add_argument("--cpython", action="store_true", help="start CPython's own SyncManager server and measure it")
    ap.add_argument("--paired-with", metavar="NAME", help="also start CPython's server (reported as NAME); samples by rounds, alternately")
    ap.add_argument("--tcp", action="store_true", help="with --cpython: listen on TCP")
    ap.add_argument("--clients", default="1,2,4")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--tcp-only", action="store_true")
    ap.add_argument("--serializer", default="pickle", choices=("pickle", "xmlrpclib"))
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    global SERIALIZER
    SERIALIZER = args.serializer
    paired = args.paired_with is not None
    samples = 2 if SMOKE else 9 if paired else ROUNDS
    server = None
    if args.cpython or paired:
        # CPython's server: SyncManager.start() runs it in a process of its own, whose CPU time is measured
        authkey = b"bench key" if args.cpython else bytes.fromhex(args.authkey)
        server = SyncManager(("127.0.0.1", 0) if args.tcp else None, authkey, serializer=SERIALIZER)
        server.start()
    if args.cpython:
        address, server_pid = server.address, server._process.pid
    else:
        server_pid = args.server_pid
        authkey = bytes.fromhex(args.authkey)
        text = args.address
        address = ("\0" + text[1:]) if text.startswith("@") else text if "/" in text else (text.rsplit(":", 1)[0], int(text.rsplit(":", 1)[1]))
    mp.current_process().authkey = authkey
    try:
        if args.tcp_only:
            tcp_proxy_creation(args.impl, address, authkey, samples)
            return
        servers = [connect(args.impl, address, authkey, server_pid)]
        if paired:
            servers.append(connect(args.paired_with, server.address, authkey, server._process.pid))
        bench(servers, [int(c) for c in args.clients.split(",")], selected_cases(args.cases), samples)
        if server is not None and args.cases == ",".join(CASES):
            server_start(args.paired_with or args.impl, 2 if SMOKE else ROUNDS)
    finally:
        if server is not None:
            server.shutdown()


if __name__ == "__main__":
    main()
