"""Fixed-count costs per proxy call of the `manager-server` suite's cases (the same loops:
bench_manager_server.run_case), with N forked stock clients sharing one object, against `multiprocess serve` or
CPython's own SyncManager server: the server's CPU and context switches per call, each client's CPU per call, and
optionally what `perf stat` or `strace -c` counts on the server. Cases alternate round by round, so each sees the
same load on a shared machine (docs/manager-server/several-clients-queue-list.md, "list append at 2 and 4
clients"). The server's kernel part ("kernel") is /proc/PID/stat's stime, in clock ticks (10 ms): a median over
rounds, not a per-round figure.

    python3.12 scripts/measure-manager-calls.py [--server serve|cpython] [--clients 2] [--cases dict,list]
                                                [--calls 3000] [--rounds 6] [--gap 0] [--waits auto,recv]

--server serve starts dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess (build it first) on a fresh
AF_UNIX path. The list is not emptied between rounds (it grows by clients x calls per list round), as in the
suite, where it grows over a case's 6 samples; --clear empties it before each list round. --gap sleeps that many
seconds before each round (the suite's samples start >= 50 ms apart, so its connections park between samples:
SyncManagerServerOptions.ParkAfter). --waits auto,recv,... (with --server serve) starts one server per value of
MULTIPROCESS_REQUEST_WAIT (RequestWaitMode, Connection/RequestWait.cs) (WAIT@PATH: the CLI at PATH, another build) and runs each round on all of them, the order rotating,
so the waits are compared under the same load; the summary gives each one's medians.

MEASURE_PERF='sched:sched_waking,context-switches' runs `perf stat -e EVENTS -p SERVER` over each round (counts
per call); with MEASURE_PERF_ALL=1 over the whole machine (`perf stat -a`: inter-processor interrupts, idle entries;
only meaningful when nothing else runs); MEASURE_PERF_FILTERED='syscalls:sys_enter_poll if timeout_msecs == 1000'
adds one event counted only when its filter holds (here the waits of blocked acquires, Waiter.AwaitNextRequest: the
hand-overs). MEASURE_STRACE=1 runs `strace -c -f -p SERVER` instead (system calls per call). MEASURE_RECORD=FILE runs
`perf record -e cpu-clock -g -p SERVER -o FILE.N` over round N instead (another event with MEASURE_RECORD_EVENT, e.g.
sched:sched_waking: who wakes whom from where; with DOTNET_PerfMapEnabled=1 in the environment `perf report` names
the JIT's frames). Each round also prints the clients' context switches per call (all client processes together).
"""
import argparse
import glob
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import time
from multiprocessing.managers import SyncManager

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "dotnet", "benchmarks", "Multiprocess.Benchmarks", "python"))
from bench_manager_server import CASES, calls, clear_list, run_case, selected_cases  # noqa: E402

AUTHKEY = b"measure key"


def cpu_ns(pid):
    """A process's CPU time (user + system, all threads, exited ones too) in ns: its CPU-time clock."""
    return time.clock_gettime_ns((~pid << 3) | 2)


def kernel_ns(pid):
    """A process's kernel CPU time (stime of /proc/PID/stat, all threads, exited ones too) in ns. Clock ticks (10 ms
    here): over a round of 6,000 calls at ~10 us each the kernel part of the server's CPU per call is known to
    ~1.7 us, so read it as a median over rounds, or give the rounds more --calls."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[12]) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def switches(pid):
    """(voluntary, involuntary) context switches summed over a process's live threads."""
    v = i = 0
    for path in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        v += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        i += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that exited meanwhile
    return v, i


def worker(conn, servers):
    """One client process, connected to every server: runs case n on server i when sent (i, case, n)."""
    mp.current_process().authkey = AUTHKEY
    managers = []
    for address, _ in servers:
        m = SyncManager(address, AUTHKEY)
        m.connect()
        managers.append(m)
    while (cmd := conn.recv()) is not None:
        i, case, n = cmd
        c0 = time.process_time()
        run_case(case, n, servers[i][1], managers[i], [])
        conn.send(time.process_time() - c0)


def start_serve(index, wait, cli=None):
    """`multiprocess serve` (this checkout's build, or cli) on a fresh AF_UNIX path, MULTIPROCESS_REQUEST_WAIT=wait
    unless None: (process, address)."""
    address = f"/tmp/measure-calls-{os.getpid()}-{index}.sock"
    cli = cli or os.path.join(ROOT, "dotnet", "src", "Multiprocess.Cli", "bin", "Release", "net10.0", "multiprocess")
    env = dict(os.environ)
    if wait is not None:
        env["MULTIPROCESS_REQUEST_WAIT"] = wait
    serve = subprocess.Popen([cli, "serve", "--address", address, "--authkey-hex", AUTHKEY.hex()],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    if not serve.stdout.readline().startswith("READY"):
        sys.exit("multiprocess serve did not start")
    return serve, address


def start_tool(pid):
    if os.environ.get("MEASURE_PERF"):
        scope = ["-a"] if os.environ.get("MEASURE_PERF_ALL") else ["-p", str(pid)]
        cmd = ["perf", "stat", "-x,", "-e", os.environ["MEASURE_PERF"], *scope]
        if " if " in os.environ.get("MEASURE_PERF_FILTERED", ""):  # one more event, counted when its filter holds
            event, condition = os.environ["MEASURE_PERF_FILTERED"].split(" if ", 1)
            cmd[5:5] = ["-e", event, "--filter", condition]
    elif os.environ.get("MEASURE_STRACE"):
        cmd = ["strace", "-c", "-f", "-p", str(pid)]
    elif os.environ.get("MEASURE_RECORD"):
        start_tool.n = getattr(start_tool, "n", 0) + 1
        cmd = ["perf", "record", "-q", "-e", os.environ.get("MEASURE_RECORD_EVENT", "cpu-clock"), "-g",
               "-o", f"{os.environ['MEASURE_RECORD']}.{start_tool.n}", "-p", str(pid)]
    else:
        return None
    tool = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # attached before the round starts
    return tool


def stop_tool(tool, k):
    """The tool's counts divided by the round's calls, as ' name=value' pairs."""
    if tool is None:
        return ""
    tool.send_signal(signal.SIGINT)
    err = tool.communicate()[1]
    if os.environ.get("MEASURE_RECORD") and not os.environ.get("MEASURE_PERF") and not os.environ.get("MEASURE_STRACE"):
        return ""
    if os.environ.get("MEASURE_PERF"):
        pairs = [(f.split(",")[2].split(":")[-1], float(f.split(",")[0])) for f in err.splitlines() if f[:1].isdigit()]
    else:
        rows = [r.split() for r in err.splitlines() if r.split() and r.split()[0][0].isdigit() and len(r.split()) >= 5]
        pairs = [(r[-1], int(r[3])) for r in rows if r[-1] != "total"]
    return "".join(f" {name}={count / k:.3f}" for name, count in pairs if count / k >= 0.001)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", choices=("serve", "cpython"), default="serve")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--cases", default="dict,list")
    ap.add_argument("--calls", type=int, default=3000, help="calls per client per round")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--gap", type=float, default=0.0)
    ap.add_argument("--clear", action="store_true")
    ap.add_argument("--waits", help="with --server serve: one server per MULTIPROCESS_REQUEST_WAIT value, rounds "
                    "alternating; WAIT@PATH runs the multiprocess CLI at PATH (another build) with that wait")
    a = ap.parse_args()
    cases = selected_cases(a.cases)
    mp.current_process().authkey = AUTHKEY
    serves, cpython, servers = [], None, []  # servers: (label, address, pid)
    try:
        if a.server == "serve":
            for index, item in enumerate(a.waits.split(",") if a.waits else [None]):
                wait, _, cli = (item or "").partition("@")
                serve, address = start_serve(index, wait or None, cli or None)
                serves.append((serve, address))
                servers.append((f"serve {item}" if item else "serve", address, serve.pid))
        else:
            cpython = SyncManager(None, AUTHKEY)
            cpython.start()
            servers.append(("cpython", cpython.address, cpython._process.pid))
        for label, address, pid in servers:
            print(f"{label}: pid {pid}, {address}", flush=True)
        shared, all_proxies = [], []
        for _, address, _ in servers:
            m = SyncManager(address, AUTHKEY)
            m.connect()
            proxies = (m.dict(), m.list(), m.Queue(), m.Lock(), m.RLock(), m.Semaphore(1), m.Condition())
            all_proxies.append((m, proxies))
            shared.append((address, proxies))
        pipes, workers = [], []
        for _ in range(a.clients):
            parent, child = mp.get_context("fork").Pipe()
            w = mp.get_context("fork").Process(target=worker, args=(child, shared), daemon=True)
            w.start()
            pipes.append(parent)
            workers.append(w.pid)

        def client_switches():
            counts = [switches(w) for w in workers]
            return sum(c[0] for c in counts), sum(c[1] for c in counts)

        def round_of(i, case, n):
            for p in pipes:
                p.send((i, case, n))
            return [p.recv() for p in pipes]

        warm_until = time.monotonic() + 3  # the runtime's tiered JIT settles in the first seconds
        while time.monotonic() < warm_until:
            for i in range(len(servers)):
                for case in cases:
                    round_of(i, case, 1000)
        for _, proxies in all_proxies:
            clear_list(proxies[1])
        results = {(i, case): [] for i in range(len(servers)) for case in cases}
        for r in range(a.rounds):
            for j in range(len(servers)):
                i = (r + j) % len(servers)
                label, _, pid = servers[i]
                proxies = all_proxies[i][1]
                for case in cases:
                    if a.clear and case.startswith("list"):
                        clear_list(proxies[1])
                    time.sleep(a.gap)
                    tool = start_tool(pid)
                    k = calls(case, a.calls) * a.clients
                    (cv0, ci0), s0, (v0, i0), t0 = client_switches(), cpu_ns(pid), switches(pid), time.monotonic_ns()
                    sk0 = kernel_ns(pid)
                    client = round_of(i, case, a.calls)
                    t1, s1, (v1, i1), (cv1, ci1) = time.monotonic_ns(), cpu_ns(pid), switches(pid), client_switches()
                    sk1 = kernel_ns(pid)
                    extra = stop_tool(tool, k)
                    row = ((s1 - s0) / k / 1e3, statistics.mean(client) / calls(case, a.calls) * 1e6,
                           (v1 - v0) / k, (i1 - i0) / k, (t1 - t0) / k / 1e3, (sk1 - sk0) / k / 1e3)
                    results[(i, case)].append(row)
                    print(f"{label}: {case}, {a.clients} clients: wall {row[4]:.1f} us/call, server CPU {row[0]:.1f} us/call (kernel {row[5]:.1f}), "
                          f"client CPU {row[1]:.1f} us/call, "
                          f"server switches {row[2]:.2f} voluntary + {row[3]:.2f} involuntary per call, "
                          f"clients' {(cv1 - cv0) / k:.2f} + {(ci1 - ci0) / k:.2f}, "
                          f"list length {len(proxies[1])}{extra}", flush=True)
        for (i, case), rows in results.items():
            print(f"median of {a.rounds} rounds, {case}, {a.clients} clients ({servers[i][0]}): server CPU "
                  f"{statistics.median(r[0] for r in rows):.1f} us/call (min {min(r[0] for r in rows):.1f}; kernel "
                  f"{statistics.median(r[5] for r in rows):.1f}), client CPU "
                  f"{statistics.median(r[1] for r in rows):.1f} us/call, server switches "
                  f"{statistics.median(r[2] for r in rows):.2f} + {statistics.median(r[3] for r in rows):.2f}, wall "
                  f"{statistics.median(r[4] for r in rows):.1f} us/call", flush=True)
        for p in pipes:
            p.send(None)
    finally:
        for serve, address in serves:
            serve.kill()
            serve.wait()
            os.unlink(address)
        if cpython is not None:
            cpython.shutdown()

if __name__ == "__main__":
    main()
