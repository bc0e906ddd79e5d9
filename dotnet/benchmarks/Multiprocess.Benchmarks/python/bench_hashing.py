"""CPython side of the `hashing` benchmark suite (Suites/HashingSuite.cs): times pickle.loads of the pickles the
suite wrote, one per key set, with bench_common's method; samples interleave the key sets, as on the C# side.

Arguments: CASE KEYSET=OPS=PATH... ; prints one JSON line per key set, impl "CPython 3.X KEYSET"."""
import json
import os
import statistics
import sys
import time

import pickle

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import ops, samples  # noqa: E402

IMPL = "CPython %d.%d" % sys.version_info[:2]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    case = args[0]
    sets = []
    for spec in args[1:]:
        key_set, n_ops, path = spec.split("=", 2)
        with open(path, "rb") as f:
            sets.append((key_set, ops(int(n_ops)), f.read(), []))
    for rnd in range(-1, samples(7)):
        for key_set, k, data, per_op in sets:
            t0 = time.perf_counter_ns()
            for _ in range(k):
                pickle.loads(data)
            if rnd >= 0:
                per_op.append((time.perf_counter_ns() - t0) / k)
    for key_set, k, data, per_op in sets:
        print(json.dumps({"case": case, "impl": IMPL + " " + key_set, "min_ns": min(per_op),
                          "median_ns": statistics.median(per_op), "samples": len(per_op), "ops": k}), flush=True)


if __name__ == "__main__":
    main()
