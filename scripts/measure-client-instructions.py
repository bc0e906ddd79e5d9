"""Instructions per proxy call of one client (a worker of the `shim` suite's steady-state case): the user-space
instructions CPython executes for `d[k] = i; d[k]; q.put(i); q.get()` through the proxies, counted by callgrind
(repeatable on a loaded machine, unlike time; the VM has no hardware counters for `perf stat`).

    PYTHONPATH=python python3.12 scripts/measure-client-instructions.py [--impl stdlib,stock,lean]
                                                                        [--iterations 250,1250] [--strace]

impl: 'stdlib' (the stdlib's manager and proxies), 'stock' (the shim's server, its proxies pickled as a stock
receiver gets them: stock proxy and Connection), 'lean' (the shim's server, the proxies as a child the shim's manager
starts gets them: multiprocess_dotnet/_proxy.py over _connection.py). The server runs in a process of its own (server
mode 'process'; the managers as _shim_managers.py starts them). The client runs under `valgrind --tool=callgrind`
twice, with the two iteration counts; the difference of the totals over the difference of calls is the per-call
figure (start-up, imports and connecting cancel out). `--library multiprocess` measures the dill flavour
(multiprocess_dotnet.dill_managers; PYTHONPATH must reach `multiprocess`, e.g. .cache/pyshim/multiprocess). Prints
one JSON line per impl. Kernel work (the system calls themselves) is not counted: `--strace` adds the client's system
calls per call (`strace -c -f` over the same two loop lengths, those above 0.05 per call).
"""
import argparse
import importlib
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile

import _shim_managers

CALLS = 4

CHILD = r"""
import importlib, pickle, sys
sys.path[:0] = %(path)r
importlib.import_module(%(library)r).current_process().authkey = bytes.fromhex(sys.argv[3])
d, q = pickle.loads(bytes.fromhex(sys.argv[1]))
n = int(sys.argv[2])
d["k"] = -1; d["k"]; q.put(-1); q.get()
if type(d._tls.connection).__name__ != sys.argv[4]:
    sys.exit("the proxies run over a %%s, not a %%s" %% (type(d._tls.connection).__name__, sys.argv[4]))
for i in range(n):
    d["k"] = i
    d["k"]
    q.put(i)
    q.get()
"""


def proxies_for(impl, m, library):
    """The pickle of (dict, Queue) proxies the child loads. 'lean': pickled while a spawning Popen is set, as
    Process() pickles its arguments (the shim's _lean_reduce then makes the child rebuild lean proxies); 'stock' and
    'stdlib': pickled as for any other receiver (stock proxies). The child takes the manager's authkey from argv."""
    context = importlib.import_module(library + ".context")
    d, q = _shim_managers.steady_proxies(m)
    if impl != "lean":
        return (d, q), pickle.dumps((d, q))
    context.set_spawning_popen(object())
    try:
        return (d, q), pickle.dumps((d, q))
    finally:
        context.set_spawning_popen(None)


def expected_connection(impl):
    return "LeanConnection" if impl == "lean" else "Connection"


def callgrind_total(code, data, n, authkey, impl):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, sys.executable, "-c", code,
                        data.hex(), str(n), authkey.hex(), expected_connection(impl)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        with open(out) as f:
            text = f.read()
    m = re.search(r"^(?:summary|totals):\s+(\d+)", text, re.M)
    return int(m.group(1))


def strace_counts(code, data, n, authkey, impl):
    """{syscall: calls} of the client over its whole run (strace -c -f)."""
    out = subprocess.run(["strace", "-c", "-f", sys.executable, "-c", code, data.hex(), str(n), authkey.hex(),
                          expected_connection(impl)],
                         check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=900).stderr
    counts = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = int(fields[3])
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", default="stdlib,stock,lean")
    ap.add_argument("--iterations", default="250,1250")
    ap.add_argument("--strace", action="store_true", help="also the client's system calls per call (strace -c)")
    ap.add_argument("--library", default="multiprocessing", choices=("multiprocessing", "multiprocess"),
                    help="multiprocess: the dill flavour (its proxies, dill pickles; multiprocess's own manager "
                         "for 'stdlib')")
    args = ap.parse_args()
    n1, n2 = (int(x) for x in args.iterations.split(","))
    code = CHILD % {"path": [p for p in sys.path if p], "library": args.library}
    for impl in args.impl.split(","):
        m = _shim_managers.start("stdlib" if impl == "stdlib" else "process", args.library)
        try:
            proxies, data = proxies_for(impl, m, args.library)
            authkey = bytes(m._authkey)
            t1 = callgrind_total(code, data, n1, authkey, impl)
            t2 = callgrind_total(code, data, n2, authkey, impl)
            row = {"impl": impl, "instructions_per_call": round((t2 - t1) / ((n2 - n1) * CALLS))}
            if args.strace:
                s1 = strace_counts(code, data, n1, authkey, impl)
                s2 = strace_counts(code, data, n2, authkey, impl)
                row["syscalls_per_call"] = {k: round((s2.get(k, 0) - s1.get(k, 0)) / ((n2 - n1) * CALLS), 2)
                                            for k in sorted(set(s1) | set(s2))
                                            if abs(s2.get(k, 0) - s1.get(k, 0)) >= (n2 - n1) * CALLS * 0.05}
        finally:
            m.shutdown()
        row.update({"library": args.library, "iterations": [n1, n2], "load": os.getloadavg()[0]})
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
