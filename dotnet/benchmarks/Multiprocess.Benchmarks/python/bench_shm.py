"""CPython's side of the `shm` suite: bulk copies through a SharedMemory segment (memoryview slices), segment
create+attach+unlink, and Lock acquire/release, uncontended and contended by two threads.

usage: bench_shm.py SIZE_BYTES [--smoke]
"""
import sys
import threading

import multiprocessing as mp
from multiprocessing import shared_memory

from bench_common import measure, ops, report, samples

IMPL = "CPython %d.%d" % sys.version_info[:2]


def main():
    size = int(sys.argv[1])
    mib = size // (1024 * 1024)

    # Bulk: a warm segment and warm source/destination buffers, so that page faults are not measured.
    shm = shared_memory.SharedMemory(create=True, size=size)
    try:
        src = b"\xab" * size
        dst = bytearray(size)
        buf, dview = shm.buf, memoryview(dst)
        buf[:] = src
        dview[:] = buf

        def write(n):
            for _ in range(n):
                buf[:] = src

        def read(n):
            for _ in range(n):
                dview[:] = buf

        report(f"write {mib} MiB", IMPL, measure(write, 1, samples(9)))
        report(f"read {mib} MiB", IMPL, measure(read, 1, samples(9)))
        del buf, dview
    finally:
        shm.close()
        shm.unlink()

    def create_attach_unlink(n):
        for _ in range(n):
            a = shared_memory.SharedMemory(create=True, size=4096)
            b = shared_memory.SharedMemory(name=a.name)
            b.close()
            a.close()
            a.unlink()

    report("create+attach+unlink 4 KiB", IMPL, measure(create_attach_unlink, ops(500), samples(7)))

    lock = mp.get_context("spawn").Lock()
    acquire, release = lock.acquire, lock.release

    def uncontended(n):
        for _ in range(n):
            acquire()
            release()

    report("Lock acquire+release", IMPL, measure(uncontended, ops(200_000), samples(7)))

    def contended(n):
        # Two threads of this process on one Lock; n operations in total.
        def worker():
            for _ in range(n // 2):
                acquire()
                release()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    report("Lock acquire+release, 2 threads", IMPL, measure(contended, ops(100_000), samples(7)))


if __name__ == "__main__":
    main()
