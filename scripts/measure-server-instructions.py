#!/usr/bin/env python3
"""User-space instructions per call of the C# manager server (docs/manager-server/where-the-cpu-goes.md, "The
per-call path").

Runs `multiprocess serve` under callgrind (JIT without tiers, so the count repeats: DOTNET_TieredCompilation=0) with
instrumentation off, connects this interpreter as a stock SyncManager client, and per case: warm-up calls, then
counters zeroed, instrumentation on for a fixed count of calls, off, dumped. Prints Ir per call for each case (all
server threads, the whole process: runtime, GC and kernel-call wrappers included, the kernel itself not).

    python3.12 scripts/measure-server-instructions.py [--cli PATH] [--calls 4000] [--warmup 2000] [--cases dict,list,...]
                                                      [--clients 1]

--clients N runs each case's loop in N forked client processes at once on the same objects (the calls split between
them): with 2 or more the Lock case contends, and its count is that of the hand-over path (a release answering the
next waiter, the waiter's wait on its socket), not the uncontended one. Under valgrind the server is so slow that
nearly every acquire waits.

Load-independent (it counts instructions, not time); valgrind makes the server ~50x slower, so 4,000 calls per case
take about a minute on this 2-core VM.
"""
import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import time
from multiprocessing.managers import SyncManager

CASES = {
    # name: (statements of one iteration over i, calls per iteration)
    "dict": ("d[1] = i; d[1]", 2),
    "list": ("l.append(i)", 1),
    "Queue": ("q.put(i); q.get()", 2),
    "Lock": ("lk.acquire(); lk.release()", 2),
}


def client(conn, objs):
    """A forked client: runs each (loop, n) it is sent on the inherited proxies, answers when done."""
    while (job := conn.recv()) is not None:
        source, n = job
        exec(compile(source, "loop", "exec"), dict(objs, n=n))
        conn.send(True)


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(here, "dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess"))
    p.add_argument("--calls", type=int, default=4000)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--clients", type=int, default=1)
    a = p.parse_args()

    work = tempfile.mkdtemp(prefix="mp-callgrind-")
    address = os.path.join(work, "s.sock")
    env = dict(os.environ, DOTNET_TieredCompilation="0", DOTNET_PerfMapEnabled="1")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={work}/cg.out",
         a.cli, "serve", "--address", address, "--authkey-hex", "6b6579", "--no-python", "--park-after-ms", "never"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "valgrind.log"), "w"))
    try:
        deadline = time.time() + 300
        while not os.path.exists(address):
            if server.poll() is not None or time.time() > deadline:
                sys.exit(f"server did not start; see {work}/valgrind.log")
            time.sleep(0.5)
        m = SyncManager(address=address, authkey=b"key")
        m.connect()
        objs = {"d": m.dict(), "l": m.list(), "q": m.Queue(), "lk": m.Lock()}

        # Clients: this process alone, or N forked ones (their proxies reconnect after the fork), each running the
        # loop it is sent over a pipe with its share of the iterations.
        pipes = []
        for _ in range(a.clients if a.clients > 1 else 0):
            parent, child = mp.get_context("fork").Pipe()
            mp.get_context("fork").Process(target=client, args=(child, objs), daemon=True).start()
            pipes.append(parent)

        def run(source, n):
            if not pipes:
                exec(compile(source, "loop", "exec"), dict(objs, n=n))
                return
            for pipe in pipes:
                pipe.send((source, n // len(pipes)))
            for pipe in pipes:
                pipe.recv()

        def control(*args):
            subprocess.run(["callgrind_control", *args, str(server.pid)], check=True, stdout=subprocess.DEVNULL)

        for part, name in enumerate(a.cases.split(","), start=1):
            body, per = CASES[name]
            loop = f"for i in range(n):\n    {body}\n"
            run(loop, a.warmup)
            control("-z")
            control("-i", "on")
            run(loop, a.calls // per)
            control("-i", "off")
            control("-d", name)
            # callgrind_control returns once the dump is written: cg.out.1, .2, ... in the order asked.
            text = open(os.path.join(work, f"cg.out.{part}")).read()
            total = int(re.search(r"^totals: (\d+)", text, re.M).group(1))
            calls = (a.calls // per // max(len(pipes), 1)) * max(len(pipes), 1) * per
            print(f"{name}: {total / calls:,.0f} instructions per call ({total:,} over {calls} calls; `{body}`, "
                  f"{max(len(pipes), 1)} client(s))", flush=True)
        for pipe in pipes:
            pipe.send(None)
    finally:
        server.terminate()
        server.wait(60)
        print(f"callgrind files: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
