"""The floor of a blocking server on this machine: what a C server that only echoes costs per call, in total and in
the kernel, measured as the `manager-server` suite measures its servers (docs/manager-server/floor.md, "The
floor"). N forked stock clients (multiprocessing.connection.Client, no authkey) each run CALLS x
`c.send_bytes(b"x" * 60); c.recv_bytes()` per sample against scripts/echo-floor.c (a thread per connection, poll for
POLLIN, recv, send, nothing else; --source another server for comparison); the server's CPU clock is read around
each sample (clock_gettime of (~pid << 3) | 2) and its /proc/PID/stat utime and stime too, summed over the samples
for the kernel share (10 ms ticks: the printed tick counts say how precise). A server with no user-space work pays
about what this one does: the suite's bound (`reachable here`) charges the C# server its own kernel CPU per call,
which this checks. The suite itself samples the same server in the same rounds as the managers since 2026-12-07
("bare echo server (C)" rows); this script measures it alone, with more calls per sample.

    python3.12 scripts/measure-echo-floor.py [--clients 1,2,4] [--calls 3000] [--samples 9] [--source FILE.c]

Needs gcc; compiles echo-floor.c into a temporary folder, removed afterwards.
"""
import argparse
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from multiprocessing.connection import Client

# The server's one home (the manager-server benchmark compiles and samples the same file in every run)
ECHO_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "echo-floor.c")


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def cpu_ns(pid):
    return time.clock_gettime_ns((~pid << 3) | 2)


def worker(address, conn, calls):
    c = Client(address)
    while conn.recv():
        t = time.process_time()
        for _ in range(calls):
            c.send_bytes(b"x" * 60)
            c.recv_bytes()
        conn.send(time.process_time() - t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="1,2,4")
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--samples", type=int, default=9)
    ap.add_argument("--source", default=ECHO_C, help="the echo server's C source (default: scripts/echo-floor.c)")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="echo-floor-")
    try:
        subprocess.run(["gcc", "-O2", "-pthread", os.path.abspath(args.source), "-o", "echo"], cwd=folder, check=True)
        address = os.path.join(folder, "echo.sock")
        server = subprocess.Popen([os.path.join(folder, "echo"), address], stdout=subprocess.PIPE)
        try:
            if server.stdout.readline().strip() != b"READY":
                raise RuntimeError("echo did not start")
            ctx = mp.get_context("fork")
            for n in (int(c) for c in args.clients.split(",")):
                pipes, procs = [], []
                for _ in range(n):
                    parent, child = ctx.Pipe()
                    p = ctx.Process(target=worker, args=(address, child, args.calls), daemon=True)
                    p.start()
                    pipes.append(parent)
                    procs.append(p)
                per_call, client, user, system = [], [], 0, 0
                for r in range(args.samples + 1):               # sample 0 warms up
                    t0, s0 = ticks(server.pid), cpu_ns(server.pid)
                    for c in pipes:
                        c.send(True)
                    spent = [c.recv() for c in pipes]
                    s1, t1 = cpu_ns(server.pid), ticks(server.pid)
                    if r:
                        per_call.append((s1 - s0) / (args.calls * n))
                        client.append(statistics.mean(spent) / args.calls * 1e9)
                        user += t1[0] - t0[0]
                        system += t1[1] - t0[1]
                for c in pipes:
                    c.send(False)
                for p in procs:
                    p.join(10)
                share = system / (user + system) if user + system else float("nan")
                median = statistics.median(per_call)
                print("echo-floor.c, %d client%s: server CPU per call min %.1f / median %.1f µs, kernel share %.0f %% (utime %d +"
                      " stime %d ticks of 10 ms): kernel %.1f µs; client CPU per call %.1f µs"
                      % (n, "" if n == 1 else "s", min(per_call) / 1e3, median / 1e3, 100 * share, user, system,
                         share * median / 1e3, statistics.median(client) / 1e3), flush=True)
        finally:
            server.kill()
            server.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
