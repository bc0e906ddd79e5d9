#!/usr/bin/env python3
"""User-space instructions per call of the C# manager server (docs/manager-server/where-the-cpu-goes.md, "The
per-call path").

Runs `multiprocess serve` under callgrind (JIT without tiers, so the count repeats: DOTNET_TieredCompilation=0) with
instrumentation off, connects this interpreter as a stock SyncManager client, and per case: warm-up calls, then
counters zeroed, instrumentation on for a fixed count of calls, off, dumped. Prints Ir per call for each case (all
server threads, the whole process: runtime, GC and kernel-call wrappers included, the kernel itself not).

    python3.12 scripts/measure-server-instructions.py [--cli PATH] [--calls 4000] [--warmup 2000] [--cases dict,list,...]
                                                      [--clients 1] [--by-function [--top 25] [--callers NAME]] [--park-after-ms never]

--clients N runs each case's loop in N forked client processes at once on the same objects (the calls split between
them): with 2 or more the Lock case contends, and its count is that of the hand-over path (a release answering the
next waiter, the waiter's wait on its socket), not the uncontended one. Under valgrind the server is so slow that
nearly every acquire waits.

--park-after-ms (default never, as the figures in the docs were taken) is passed to `serve`. With `never` the server
neither parks nor sets SO_RCVTIMEO, so it reads with Socket.Receive and sends with Socket.Send; with a number (the
default server's is 50: use one larger than any pause of the tool, e.g. 600000) it takes the default server's path:
the wait for the next request (RequestWait: recv(2) with a timeout, or poll(2) first) and the send through libc.

--by-function also prints, per case, the functions with the most instructions per call, inclusive (the function and
what it calls) and exclusive (its own instructions). Callgrind then records every instruction's address
(--dump-instr=yes, same totals): a JIT'd method has no symbol, so its instructions are named from the runtime's perf
map (/tmp/perf-PID.map, DOTNET_PerfMapEnabled=1); native code (libc, libcoreclr, a Native AOT CLI) keeps callgrind's
own name. Inclusive is a function's own cost plus that of its calls to other functions, so a function that a callee
calls again (recursion through another function) is counted twice there; the serving path has none. The JIT inlines
small methods into their callers: an inlined method's instructions are its caller's (they have no entry of their own).

Load-independent (it counts instructions, not time); valgrind makes the server ~50x slower, so 4,000 calls per case
take about a minute on this 2-core VM.
"""
import argparse
import collections
import bisect
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


class PerfMap:
    """The runtime's perf map: START SIZE NAME per line (hex), JIT'd methods and stubs; looked up by address."""

    def __init__(self, path, maps_path=None):
        # /proc/PID/maps: what holds code the perf map does not name (a ReadyToRun image such as
        # System.Private.CoreLib.dll, whose precompiled methods the runtime does not list; libcoreclr's own code).
        self._maps = []
        if maps_path and os.path.exists(maps_path):
            for line in open(maps_path):
                fields = line.split()
                if len(fields) >= 6 and "x" in fields[1]:
                    lo, hi = (int(x, 16) for x in fields[0].split("-"))
                    self._maps.append((lo, hi, os.path.basename(fields[5])))
        rows = []
        if os.path.exists(path):
            for line in open(path, errors="replace"):
                parts = line.rstrip("\n").split(" ", 2)
                if len(parts) == 3:
                    rows.append((int(parts[0], 16), int(parts[1], 16), short_name(parts[2])))
        rows.sort()
        self._starts = [r[0] for r in rows]
        self._rows = rows

    def name(self, address):
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0:
            start, size, name = self._rows[i]
            if address < start + size:
                return name
        return None

    def holder(self, address):
        """The file mapped at an address the perf map does not name, or None (anonymous memory: stubs, JIT'd code)."""
        for lo, hi, name in self._maps:
            if lo <= address < hi:
                return name
        return None


def short_name(name):
    """`instance bool [Multiprocess] A.B.C+Session::Serve(valuetype [X]System.Span`1<uint8>,string&)[Optimized]` ->
    `C+Session::Serve(Span<uint8>,string&)`: the type without its namespace, the method, its parameter types."""
    name = re.sub(r"\[[^\]]*\]", "", name)              # [assembly], [Optimized], [PreJIT]
    name = re.sub(r"\b(instance|class|valuetype) ", "", name).strip()
    head, paren, params = name.partition("(")
    head = head.split(" ")[-1]                          # drop the return type
    if "::" in head:
        owner, _, method = head.rpartition("::")
        head = owner.rsplit(".", 1)[-1] + "::" + method
    if paren:
        params = ",".join(p.strip().split(" ")[-1].rsplit(".", 1)[-1].replace("`1", "").replace("`2", "")
                          for p in params.rstrip(")").split(",") if p.strip())
        head += f"({params})"
    return head


def by_function(path, perf_map):
    """Inclusive and exclusive Ir per function, and per call edge, of one callgrind dump made with --dump-instr=yes."""
    names = {}            # compressed "(id)" -> name, one table per kind as callgrind writes them
    exclusive = collections.Counter()
    inclusive = collections.Counter()
    edges = collections.Counter()   # (caller, callee) -> the callee's inclusive cost from that caller
    fn = None
    objects = {}          # function -> the object callgrind says holds it ("???" for anonymous memory)
    ob = cob = None
    last = [0, 0]         # the last cost line's subpositions (instr, line), for the relative forms +N, -N, *
    target = None         # the function a calls= line names (its cfn), for the cost line that follows
    call_pending = False

    def uncompress(kind, text):
        m = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not m:
            return text
        if m.group(2) is not None:
            names[kind, m.group(1)] = m.group(2)
        return names[kind, m.group(1)]

    def resolve(name, address=None):
        # An instruction inside a JIT'd method or stub is named by the perf map; callgrind names unknown code by the
        # address of the block it entered it at ("0x000000005fd00448"), which the perf map resolves too.
        found = perf_map.name(address) if address is not None else None
        name = re.sub(r"'\d+$", "", name)
        if found is None and re.fullmatch(r"0x[0-9a-f]+", name):
            found = perf_map.name(int(name, 16))
            if found is None:
                # Not named: say where it lives (code at the same address in two processes is not the same code).
                holder = objects.get(name)
                holder = os.path.basename(holder) if holder and holder != "???" else perf_map.holder(int(name, 16))
                found = f"{name} ({holder or 'anonymous: a stub or unlisted code'})"
        return found or name

    for line in open(path):
        line = line.rstrip("\n")
        if not line or line[0] == "#":
            continue
        head = line[0]
        if head.isdigit() or head in "+-*":
            fields = line.split()
            for k in range(2):
                f = fields[k]
                if f == "*":
                    continue
                last[k] = last[k] + int(f[1:], 0) if f[0] == "+" else last[k] - int(f[1:], 0) if f[0] == "-" else int(f, 0)
            cost = int(fields[2]) if len(fields) > 2 else 0
            here = resolve(fn, last[0])
            if call_pending:
                edges[here, target] += cost
                if target != here:
                    inclusive[here] += cost
                call_pending = False
            else:
                exclusive[here] += cost
                inclusive[here] += cost
            continue
        key, _, value = line.partition("=")
        if key == "fn":
            fn = uncompress("fn", value)
            objects.setdefault(re.sub(r"'\d+$", "", fn), ob)
        elif key == "cfn":
            callee = uncompress("fn", value)
            objects.setdefault(re.sub(r"'\d+$", "", callee), cob or ob)
            cob = None
            target = resolve(callee)
        elif key == "calls":
            # calls=COUNT TARGET-POSITION: the next cost line is the call site's, its cost the callee's inclusive one.
            call_pending = True
        elif key == "ob":
            ob = uncompress("ob", value)
        elif key == "cob":
            cob = uncompress("ob", value)
        elif key in ("fl", "fi", "fe", "cfi", "cfl", "jfi"):
            uncompress("fl", value)
        elif key == "jfn":
            uncompress("fn", value)
    return inclusive, exclusive, edges


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(here, "dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess"))
    p.add_argument("--calls", type=int, default=4000)
    p.add_argument("--warmup", type=int, default=2000)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--park-after-ms", default="never", help="passed to serve (never, or milliseconds)")
    p.add_argument("--by-function", action="store_true", help="also print the top functions per call of each case")
    p.add_argument("--top", type=int, default=25, help="how many functions --by-function prints (each list)")
    p.add_argument("--callers", help="with --by-function: also print who calls the functions whose name contains this")
    a = p.parse_args()

    work = tempfile.mkdtemp(prefix="mp-callgrind-")
    address = os.path.join(work, "s.sock")
    env = dict(os.environ, DOTNET_TieredCompilation="0", DOTNET_PerfMapEnabled="1")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={work}/cg.out",
         *(["--dump-instr=yes"] if a.by_function else []),
         a.cli, "serve", "--address", address, "--authkey-hex", "6b6579", "--no-python", "--park-after-ms", a.park_after_ms],
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
            if a.by_function:
                inclusive, exclusive, edges = by_function(os.path.join(work, f"cg.out.{part}"),
                                                   PerfMap(f"/tmp/perf-{server.pid}.map", f"/proc/{server.pid}/maps"))
                for title, table in (("inclusive", inclusive), ("exclusive", exclusive)):
                    print(f"  {name}, {title} instructions per call (top {a.top}):")
                    for fname, cost in table.most_common(a.top):
                        print(f"    {cost / calls:9,.0f}  {fname}")
                if a.callers:
                    print(f"  {name}, calls into functions whose name contains {a.callers!r} (caller -> callee):")
                    for (caller, callee), cost in edges.most_common():
                        if a.callers in callee and caller != callee and cost / calls >= 1:
                            print(f"    {cost / calls:9,.0f}  {caller} -> {callee}")
                print(f"  {name}, exclusive total {sum(exclusive.values()) / calls:,.0f} per call (= the case's count)",
                      flush=True)
        for pipe in pipes:
            pipe.send(None)
    finally:
        server.terminate()
        server.wait(60)
        print(f"callgrind files: {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
