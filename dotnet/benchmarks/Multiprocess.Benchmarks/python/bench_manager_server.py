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
* with --echo-address: the floor, a bare echo server (scripts/echo-floor.c, which the C# suite compiles and starts)
  sampled in the same rounds as the two managers in the cases --echo-cases names: per case "<case>, N clients: server
  CPU per call" as "bare echo server (C)", its "ratio" CPython's sample over the echo's of the same round (median over
  rounds); per client count, over all those cases' samples, "bare echo server (C), N clients: server CPU per call"
  and its kernel / user split

--paired-with NAME (with --address/--authkey/--server-pid) also starts CPython's server (its own process, reported
as NAME) and runs every case's samples on the two servers by rounds, alternately (C#, CPython, CPython, C#, ...):
a change of load or of where the kernel places client and serving thread then hits both alike instead of whichever
ran during it. Each line of the first server then carries "ratio": the median over rounds of NAME's sample over
its own of the same round (paired), and a note with the ratio of the two medians.

--serializer xmlrpclib makes every manager (the clients' and CPython's server) use the XML-RPC serializer
(`SyncManager(..., serializer='xmlrpclib')`) instead of pickle.

--echo-address PATH --echo-pid PID --echo-cases PREFIX,... (with --paired-with) adds the echo server (above) to those
cases' rounds, after the unmeasured one: C#, CPython, echo, then echo, CPython, C#, ... Each echo sample is ECHO_CALLS
`send_bytes(b"x" * 60); recv_bytes()` per client (a frame about a dict request's size) on a plain Client(PATH).

usage: bench_manager_server.py --impl NAME (--address ADDR --authkey HEX --server-pid PID [--paired-with NAME] | --cpython)
                               [--clients 1,2,4] [--cases PREFIX,...] [--tcp-only] [--serializer pickle|xmlrpclib]
                               [--echo-address PATH --echo-pid PID --echo-cases PREFIX,...] [--smoke]
"""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from multiprocessing.connection import Client
from multiprocessing.managers import SyncManager

from bench_common import SMOKE, report
from bench_server_cpu import kernel_share, line, server_cpu_ns, server_ticks

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

ECHO_IMPL = "bare echo server (C)"
ECHO_CALLS = 1500               # per client per echo sample: as many as a paired dict, list or Queue sample


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


def run_echo(c, n):
    """n calls on the echo server: a frame of 60 bytes out and back, about what a proxy's dict request weighs."""
    for _ in range(n):
        c.send_bytes(b"x" * 60)
        c.recv_bytes()


def echo_calls():
    return max(3, ECHO_CALLS // 20) if SMOKE else ECHO_CALLS


def calls(case, n):
    """How many calls run_case makes for n."""
    if case in ("dict set/get", "Queue put/get") or "acquire/release" in case:
        return n // 2 * 2
    return n // 3 * 3 if case.startswith("Condition") else n


def worker(conn, servers):
    """One client process: connected to every server (address, authkey, proxies; authkey None: the echo server, a
    plain Client without handshake); runs the samples it is sent."""
    managers = []
    for address, authkey, _ in servers:
        if authkey is None:
            managers.append(Client(address))
            continue
        mp.current_process().authkey = authkey
        m = SyncManager(address, authkey, serializer=SERIALIZER)
        m.connect()
        managers.append(m)
    while True:
        cmd = conn.recv()
        if cmd is None:
            break
        i, case, n, start_at = cmd
        echo = servers[i][1] is None
        if not echo:
            mp.current_process().authkey = servers[i][1]
        while time.monotonic() < start_at:
            time.sleep(0.001)
        lat = []
        c0, t0 = time.process_time(), time.monotonic()
        if echo:
            run_echo(managers[i], n)
        else:
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


def sample(pipes, i, case, n, pid):
    """One sample on server i: every client runs n calls of the case, started together; returns the clients' results
    and the server's CPU (ns) and (utime, stime) ticks over the sample."""
    start_at = time.monotonic() + START_DELAY
    t0 = server_ticks(pid)
    s0 = server_cpu_ns(pid)
    for c in pipes:
        c.send((i, case, n, start_at))
    res = [c.recv() for c in pipes]
    s1 = server_cpu_ns(pid)
    t1 = server_ticks(pid)
    return res, s1 - s0, (t1[0] - t0[0], t1[1] - t0[1])


def bench(servers, client_counts, cases, rounds, echo=None):
    """Every case at every client count on every server: rounds of one sample per server, the order alternating
    (0 1, 1 0, 0 1, ...), after one unmeasured round. With one server this is the plain sequence of samples. echo
    (--echo-address): the bare echo server joins the measured rounds of echo["cases"], last then first (0 1 e,
    e 1 0)."""
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
    if echo is not None:
        shared.append((echo["address"], None, None))
    e, base = len(servers), len(servers) - 1           # the echo's index; the baseline's (the last server)
    for clients in client_counts:
        pipes, procs = [], []
        for _ in range(clients):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker, args=(child, shared), daemon=True)
            p.start()
            pipes.append(parent)
            procs.append(p)
        plural = "client" if clients == 1 else "clients"
        # the echo's samples over this client count's cases, their ticks, and its CPU since they began
        floor = {"samples": [], "ticks": [0, 0], "since": server_cpu_ns(echo["pid"]) if echo else 0}
        for case in cases:
            n = per_sample(case)
            k = calls(case, n)
            with_echo = echo is not None and case in echo["cases"]
            agg, cpu, server, lat = ([[] for _ in range(e + 1)] for _ in range(4))
            # the kernel's split of each server's CPU in its samples: (utime, stime) ticks summed over the samples;
            # and its CPU over the measured rounds, to say how much fell outside its samples
            ticks = [[0, 0] for _ in range(e + 1)]
            span = [0] * len(servers)
            for r in range(rounds + 1):                      # round 0 warms up (the echo has nothing to warm)
                if r == 1:
                    span = [-server_cpu_ns(srv["pid"]) for srv in servers]
                measured = list(range(len(servers))) + ([e] if with_echo and r > 0 else [])
                for i in measured if r % 2 == 0 else reversed(measured):
                    echo_sample = i == e
                    res, spent, dt = sample(pipes, i, case, echo_calls() if echo_sample else n,
                                            echo["pid"] if echo_sample else servers[i]["pid"])
                    if r == 0:
                        continue
                    ticks[i][0] += dt[0]
                    ticks[i][1] += dt[1]
                    if echo_sample:
                        server[i].append(spent / (echo_calls() * clients))
                        continue
                    wall = max(x[1] for x in res) - min(x[0] for x in res)
                    agg[i].append(wall / (k * clients) * 1e9)
                    cpu[i].append(statistics.mean(x[2] for x in res) / k * 1e9)
                    server[i].append(spent / (k * clients))
                    for x in res:
                        lat[i] += x[3]
            shares = [kernel_share(ticks[i], len(server[i]), span[i] + server_cpu_ns(srv["pid"]) - sum(server[i]) * k * clients)
                      for i, srv in enumerate(servers)]
            name = f"{case}, {clients} {plural}"
            for i, srv in enumerate(servers):
                # the first server's lines are paired with the last one's (the baseline) samples of the same rounds
                paired = i == 0 and len(servers) > 1
                line(name, srv["impl"], agg[i], agg[base] if paired else None, k * clients)
                line(f"{name}: server CPU per call", srv["impl"], server[i], server[base] if paired else None, k * clients)
                share, share_note = shares[i]
                base_share = shares[base][0]
                if share is not None:
                    # user and kernel parts of each sample by the case's share, paired like the total where the
                    # baseline's share is known too. A part of 0 ticks (all the ticks fell in the other mode: 100 %
                    # kernel happens) is no figure to report, nor to divide by.
                    for label, part, base_part in (("kernel", share, base_share), ("user", 1 - share, 1 - (base_share or 0))):
                        if part <= 0:
                            continue
                        pair = paired and base_share is not None and base_part > 0
                        line(f"{name}: server {label} CPU per call", srv["impl"], [x * part for x in server[i]],
                             [x * base_part for x in server[base]] if pair else None, k * clients, share_note)
                line(f"{name}: client CPU per call", srv["impl"], cpu[i], cpu[base] if paired else None, k)
                lat[i].sort()
                for label, p in (("p50", 0.5), ("p99", 0.99)):
                    v = percentile(lat[i], p)
                    report(f"{name}: latency {label}", srv["impl"], (v, v, len(lat[i]), 1))
                if case == "list append":
                    mp.current_process().authkey = srv["authkey"]
                    clear_list(srv["proxies"][1])
            if with_echo:
                # the floor of this case: its ratio is the baseline's CPU over the echo's, round by round
                line(f"{name}: server CPU per call", ECHO_IMPL, server[e], server[base], echo_calls() * clients)
                floor["samples"] += server[e]
                floor["ticks"][0] += ticks[e][0]
                floor["ticks"][1] += ticks[e][1]
        if floor["samples"]:
            echo_floor(f"{ECHO_IMPL}, {clients} {plural}", floor, server_cpu_ns(echo["pid"]), echo_calls() * clients)
        for c in pipes:
            c.send(None)
        for p in procs:
            p.join(30)


def echo_floor(name, floor, cpu_now, ops):
    """The echo's lines over all its samples of one client count: its CPU per call and, where its ticks allow, the
    kernel / user split, as the servers' lines of a case."""
    samples = floor["samples"]
    line(f"{name}: server CPU per call", ECHO_IMPL, samples, None, ops)
    outside = cpu_now - floor["since"] - sum(samples) * ops
    share, note = kernel_share(floor["ticks"], len(samples), outside, "this client count's cases")
    if share is not None:
        for label, part in (("kernel", share), ("user", 1 - share)):
            if part > 0:
                line(f"{name}: server {label} CPU per call", ECHO_IMPL, [x * part for x in samples], None, ops, note)


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
    ap.add_argument("--echo-address", help="with --paired-with: the bare echo server's AF_UNIX path (echo-floor.c)")
    ap.add_argument("--echo-pid", type=int, help="its process (its CPU time is measured)")
    ap.add_argument("--echo-cases", default="", help="the case prefixes whose rounds it joins")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.echo_address is not None and (args.paired_with is None or args.echo_pid is None):
        ap.error("--echo-address needs --paired-with and --echo-pid: the floor is sampled in the paired rounds")
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
        echo = None
        if args.echo_address is not None:
            echo = {"address": args.echo_address, "pid": args.echo_pid, "cases": selected_cases(args.echo_cases)}
        bench(servers, [int(c) for c in args.clients.split(",")], selected_cases(args.cases), samples, echo)
        if server is not None and args.cases == ",".join(CASES):
            server_start(args.paired_with or args.impl, 2 if SMOKE else ROUNDS)
    finally:
        if server is not None:
            server.shutdown()


if __name__ == "__main__":
    main()
