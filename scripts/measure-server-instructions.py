#!/usr/bin/env python3
"""User-space instructions per call of the C# manager server (docs/manager-server-performance.md, "The per-call path").

Runs `multiprocess serve` under callgrind (JIT without tiers, so the count repeats: DOTNET_TieredCompilation=0) with
instrumentation off, connects this interpreter as a stock SyncManager client, and per case: warm-up calls, then
counters zeroed, instrumentation on for a fixed count of calls, off, dumped. Prints Ir per call for each case (all
server threads, the whole process: runtime, GC and kernel-call wrappers included, the kernel itself not).

    python3.12 scripts/measure-server-instructions.py [--cli PATH] [--calls 4000] [--warmup 2000] [--cases dict,list,...]

Load-independent (it counts instructions, not time); valgrind makes the server ~50x slower, so 4,000 calls per case
take about a minute on this 2-core VM.
"""
import argparse
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


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(here, "dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess"))
    p.add_argument("--calls", type=int, default=4000)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--cases", default=",".join(CASES))
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

        def control(*args):
            subprocess.run(["callgrind_control", *args, str(server.pid)], check=True, stdout=subprocess.DEVNULL)

        for part, name in enumerate(a.cases.split(","), start=1):
            body, per = CASES[name]
            loop = compile(f"for i in range(n):\n    {body}\n", name, "exec")
            exec(loop, dict(objs, n=a.warmup))
            control("-z")
            control("-i", "on")
            exec(loop, dict(objs, n=a.calls // per))
            control("-i", "off")
            control("-d", name)
            # callgrind_control returns once the dump is written: cg.out.1, .2, ... in the order asked.
            text = open(os.path.join(work, f"cg.out.{part}")).read()
            total = int(re.search(r"^totals: (\d+)", text, re.M).group(1))
            calls = (a.calls // per) * per
            print(f"{name}: {total / calls:,.0f} instructions per call ({total:,} over {calls} calls; `{body}`)", flush=True)
    finally:
        server.terminate()
        server.wait(60)
        print(f"callgrind files: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
