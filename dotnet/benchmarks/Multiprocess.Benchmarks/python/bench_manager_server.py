"""Stock CPython manager clients against a manager server: the C# one (address given) or CPython's own
SyncManager server (started here). Prints bench_common JSON lines:

* "<case>, N clients": aggregate wall time per operation over N client processes (ns/op; ops/s = 1e9 / ns)
* "<case>, N clients: client CPU per call": each client's own CPU time per call (mean over clients)
* "server start": SyncManager().start() (CPython only; the C# side times its own start)
* "m.dict() over TCP, 1 client": proxy creation latency (3 connections) on a TCP address

usage: bench_manager_server.py --impl NAME (--address ADDR --authkey HEX | --cpython) [--clients 1,2,4]
                               [--cases a,b] [--tcp-only] [--smoke]
"""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from multiprocessing.managers import SyncManager

from bench_common import SMOKE, report

# ops per client per sample (each op = one request/reply on the client's proxy connection; proxy creation = 4
# connections: create, incref, decref, and the previous proxy's decref)
CASES = {
    "dict set/get": 3000,
    "list append": 3000,
    "Queue put/get": 3000,
    "Lock acquire/release": 3000,
    "proxy creation m.dict()": 150,
}


def run_case(case, n, proxies, m):
    d, lst, q, lock = proxies
    if case == "dict set/get":
        key = os.getpid()
        for i in range(n // 2):
            d[key] = i
            d[key]
    elif case == "list append":
        for i in range(n):
            lst.append(i)
    elif case == "Queue put/get":
        for i in range(n // 2):
            q.put(i)
            q.get()
    elif case == "Lock acquire/release":
        for _ in range(n // 2):
            lock.acquire()
            lock.release()
    elif case == "proxy creation m.dict()":
        x = None
        for _ in range(n):
            x = m.dict()
        del x
    else:
        raise ValueError(case)


def worker(conn, address, authkey, proxies):
    mp.current_process().authkey = authkey
    m = SyncManager(address, authkey)
    m.connect()
    while True:
        cmd = conn.recv()
        if cmd is None:
            break
        case, n, start_at = cmd
        while time.monotonic() < start_at:
            time.sleep(0.001)
        c0, t0 = time.process_time(), time.monotonic()
        run_case(case, n, proxies, m)
        t1, c1 = time.monotonic(), time.process_time()
        conn.send((t0, t1, c1 - c0))


def bench(impl, address, authkey, client_counts, cases, samples):
    m = SyncManager(address, authkey)
    m.connect()
    proxies = (m.dict(), m.list(), m.Queue(), m.Lock())
    ctx = mp.get_context("fork")
    for clients in client_counts:
        pipes, procs = [], []
        for _ in range(clients):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker, args=(child, address, authkey, proxies), daemon=True)
            p.start()
            pipes.append(parent)
            procs.append(p)
        for case in cases:
            n = max(2, CASES[case] // (20 if SMOKE else 1))
            agg, cpu = [], []
            for s in range(samples + 1):                     # the first round warms up
                start_at = time.monotonic() + 0.05
                for c in pipes:
                    c.send((case, n, start_at))
                res = [c.recv() for c in pipes]
                if s == 0:
                    continue
                wall = max(r[1] for r in res) - min(r[0] for r in res)
                agg.append(wall / (n * clients) * 1e9)
                cpu.append(statistics.mean(r[2] for r in res) / n * 1e9)
            plural = "client" if clients == 1 else "clients"
            report(f"{case}, {clients} {plural}", impl, (min(agg), statistics.median(agg), samples, n * clients))
            report(f"{case}, {clients} {plural}: client CPU per call", impl, (min(cpu), statistics.median(cpu), samples, n))
            if case == "list append":
                del proxies[1][:]
        for c in pipes:
            c.send(None)
        for p in procs:
            p.join(30)


def tcp_proxy_creation(impl, address, authkey, samples):
    m = SyncManager(address, authkey)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True)
    ap.add_argument("--address")
    ap.add_argument("--authkey")
    ap.add_argument("--cpython", action="store_true", help="start CPython's own SyncManager server and measure it")
    ap.add_argument("--tcp", action="store_true", help="with --cpython: listen on TCP")
    ap.add_argument("--clients", default="1,2,4")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--tcp-only", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    samples = 2 if SMOKE else 5
    server = None
    if args.cpython:
        authkey = b"bench key"
        server = SyncManager(("127.0.0.1", 0) if args.tcp else None, authkey)
        server.start()
        address = server.address
    else:
        authkey = bytes.fromhex(args.authkey)
        text = args.address
        address = ("\0" + text[1:]) if text.startswith("@") else text if "/" in text else (text.rsplit(":", 1)[0], int(text.rsplit(":", 1)[1]))
    mp.current_process().authkey = authkey
    try:
        if args.tcp_only:
            tcp_proxy_creation(args.impl, address, authkey, samples)
            return
        bench(args.impl, address, authkey, [int(c) for c in args.clients.split(",")], args.cases.split(","), samples)
        if args.cpython:
            server_start(args.impl, samples)
    finally:
        if server is not None:
            server.shutdown()


if __name__ == "__main__":
    main()
