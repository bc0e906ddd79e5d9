"""CPython side of the `pickle` benchmark suite: times the C pickler (pickle.dumps/loads) on the same payloads as
Suites/PickleSuite.cs, with bench_common's method, and prints one JSON line per (case, operation)."""
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import measure, ops, report, samples  # noqa: E402

IMPL = "CPython %d.%d" % sys.version_info[:2]


def payloads():
    return {
        "list_10k_small_ints": (list(range(10_000)), 4, 300),
        "dict_1k_str_float": ({"key%d" % i: i * 0.5 for i in range(1000)}, 4, 1_000),
        "list_1k_int_str_float_tuples": ([(i, "s%d" % i, i * 1.5) for i in range(1000)], 4, 300),
        "bytes_1MiB": (bytes(1024 * 1024), 4, 1_000),
        "manager_request": ((None, "create", ("dict",), {}), 4, 200_000),
    }


def main():
    for name, (value, proto, n) in payloads().items():
        data = pickle.dumps(value, proto)
        report("dumps " + name, IMPL, measure(lambda k: [pickle.dumps(value, proto) for _ in range(k)], ops(n), samples(15)))
        report("loads " + name, IMPL, measure(lambda k: [pickle.loads(data) for _ in range(k)], ops(n), samples(15)))

    # 64 MiB bytearray out of band (protocol 5): only NEXT_BUFFER travels; the buffer is handed over, not copied.
    big = pickle.PickleBuffer(bytearray(64 * 1024 * 1024))

    def dumps_oob(k):
        for _ in range(k):
            buffers = []
            pickle.dumps(big, 5, buffer_callback=buffers.append)

    sent = []
    oob = pickle.dumps(big, 5, buffer_callback=sent.append)
    report("dumps bytearray_64MiB_out_of_band", IMPL, measure(dumps_oob, ops(100_000), samples(15)))
    report("loads bytearray_64MiB_out_of_band", IMPL, measure(lambda k: [pickle.loads(oob, buffers=sent) for _ in range(k)], ops(100_000), samples(15)))


if __name__ == "__main__":
    main()
