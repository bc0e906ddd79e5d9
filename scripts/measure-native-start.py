"""The native engine's start in a fresh process: dlopen of the library (ctypes.CDLL) and its first call (mpd_call
with the 'version' request: the runtime's start, the pickle codec's first use), for one or more builds of the library,
interleaved, one fresh interpreter per sample. Prints min and median of each, and each library's size.

    chrt -f 5 python3.12 scripts/measure-native-start.py [--runs N] LIBRARY.so [LIBRARY.so ...]

chrt -f 5 (SCHED_FIFO, root) gives the runs a core at once, as on an idle machine (docs/native.md)."""
import argparse
import json
import os
import statistics
import subprocess
import sys

PROBE = r"""
import ctypes, pickle, sys, time
t0 = time.perf_counter_ns()
lib = ctypes.CDLL(sys.argv[1])
t1 = time.perf_counter_ns()
call = lib.mpd_call
call.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_int)]
request = pickle.dumps(("version",), protocol=4)
reply, length = ctypes.c_void_p(), ctypes.c_int()
status = call(request, len(request), ctypes.byref(reply), ctypes.byref(length))
t2 = time.perf_counter_ns()
assert status == 0, pickle.loads(ctypes.string_at(reply, length.value))
print(t1 - t0, t2 - t1)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("libraries", nargs="+")
    args = ap.parse_args()
    times = {lib: [] for lib in args.libraries}
    for _ in range(args.runs):
        for lib in args.libraries:
            out = subprocess.run([sys.executable, "-c", PROBE, lib], check=True, capture_output=True, text=True,
                                 timeout=60).stdout
            times[lib].append([int(x) / 1e6 for x in out.split()])
    load = os.getloadavg()[0]
    for lib, samples in times.items():
        dlopen = [s[0] for s in samples]
        first = [s[1] for s in samples]
        whole = [s[0] + s[1] for s in samples]
        print(json.dumps({"library": lib, "bytes": os.path.getsize(lib), "runs": len(samples),
                          "dlopen_ms": [round(min(dlopen), 2), round(statistics.median(dlopen), 2)],
                          "first_call_ms": [round(min(first), 2), round(statistics.median(first), 2)],
                          "dlopen_plus_first_call_ms": [round(min(whole), 2), round(statistics.median(whole), 2)],
                          "load_average": round(load, 1)}))


if __name__ == "__main__":
    main()
