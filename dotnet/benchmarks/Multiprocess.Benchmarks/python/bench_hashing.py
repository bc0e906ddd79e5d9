"""CPython side of the `hashing` benchmark suite (Suites/HashingSuite.cs): times pickle.loads of the pickles the
suite wrote, one per key set, with bench_common's method.

Arguments: CASE OPS KEYSET=PATH... ; prints one JSON line per key set, impl "CPython 3.X KEYSET"."""
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import measure, ops, report, samples  # noqa: E402

IMPL = "CPython %d.%d" % sys.version_info[:2]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    case, n_ops = args[0], int(args[1])
    for spec in args[2:]:
        key_set, path = spec.split("=", 1)
        with open(path, "rb") as f:
            data = f.read()
        report(case, IMPL + " " + key_set, measure(lambda k: [pickle.loads(data) for _ in range(k)], ops(n_ops), samples(7)))


if __name__ == "__main__":
    main()
