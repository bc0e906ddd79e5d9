"""The Python side of the `connection` benchmark suite (Suites/ConnectionSuite.cs): the same message pattern as
the C# driver, over an AF_UNIX Listener, timed with bench_common (same method as Harness/Sampler.cs).

  bench_connection.py drive --impl LABEL --peer CMD...   Listener; starts `CMD... ADDRESS --authkey-hex HEX` (a
                                                         peer: this script's `peer`, or `multiprocess echo connect`)
                                                         and measures round trips and one-way throughput
  bench_connection.py peer ADDRESS --authkey-hex HEX     the echo-session peer (mirror of `multiprocess echo`)
  bench_connection.py serve ADDRESS --authkey-hex HEX    accept + authenticate + close, until stdin closes
  bench_connection.py connect-client --authkey-hex HEX   for each stdin line "ADDRESS N": N authenticated
                                                         connects, then one line {"wall_ns": ..., "cpu_ns": ...}
                                                         (this process's CPU time); ends at end of input

Session modes (as the engine's echo command): `echo` (echo until a 0-byte message), `sink N` (reply `ok <total>`).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Client, Listener

import bench_common as bc

# Keep in step with ConnectionSuite.cs.
PING_SIZE, PING_OPS, PING_SAMPLES = 100, 20_000, 7
MIB1_OPS, MIB1_SAMPLES = 256, 5
MIB64_OPS, MIB64_SAMPLES = 4, 5


def option(name, default=None):
    args = sys.argv
    return args[args.index(name) + 1] if name in args else default


def address_of(text):
    return "\0" + text[1:] if text.startswith("@") else text


def key():
    return bytes.fromhex(option("--authkey-hex"))


def peer(address_text):
    """One echo session, as `multiprocess echo connect` runs it."""
    with Client(address_of(address_text), authkey=key()) as c:
        while True:
            try:
                mode = c.recv_bytes()
            except EOFError:
                return
            if mode == b"echo":
                while True:
                    try:
                        m = c.recv_bytes()
                    except EOFError:
                        return
                    if not m:
                        return
                    c.send_bytes(m)
            elif mode.startswith(b"sink "):
                total = 0
                for _ in range(int(mode[5:])):
                    total += len(c.recv_bytes())
                c.send_bytes(b"ok %d" % total)
            else:
                return


def drive(impl, peer_cmd):
    """Listener on a fresh AF_UNIX path; one peer; the three measured patterns."""
    k = os.urandom(32)
    folder = tempfile.mkdtemp(prefix="bench-conn-")
    with Listener(os.path.join(folder, "l.sock"), authkey=k) as listener:
        proc = subprocess.Popen(peer_cmd + [listener.address, "--authkey-hex", k.hex()])
        try:
            with listener.accept() as c:
                for size, ops, samples in ((1 << 20, MIB1_OPS, MIB1_SAMPLES), (64 << 20, MIB64_OPS, MIB64_SAMPLES)):
                    payload = os.urandom(size)

                    def one_way(n, payload=payload):
                        c.send_bytes(b"sink %d" % n)
                        for _ in range(n):
                            c.send_bytes(payload)
                        assert c.recv_bytes() == b"ok %d" % (n * len(payload))

                    label = "one-way 1 MiB" if size == 1 << 20 else "one-way 64 MiB"
                    bc.report(label, impl, bc.measure(one_way, bc.ops(ops), bc.samples(samples)))

                message = os.urandom(PING_SIZE)
                c.send_bytes(b"echo")

                def ping(n):
                    for _ in range(n):
                        c.send_bytes(message)
                        c.recv_bytes()

                bc.report("round trip 100 B", impl, bc.measure(ping, bc.ops(PING_OPS), bc.samples(PING_SAMPLES)))
                c.send_bytes(b"")
        finally:
            if proc.wait(60) != 0:
                raise SystemExit(f"peer {peer_cmd} exited {proc.returncode}")
    shutil.rmtree(folder, ignore_errors=True)


def serve(address_text):
    """Accept (with the handshake) and close, until stdin closes."""
    with Listener(address_of(address_text), authkey=key(), backlog=128) as listener:
        print("READY", flush=True)

        def loop():
            while True:
                try:
                    listener.accept().close()
                except Exception:
                    pass

        threading.Thread(target=loop, daemon=True).start()
        sys.stdin.read()


def connect_client():
    """Batches of connects on demand, so the C# driver can interleave them with its own (ConnectionSuite.Connects.cs)."""
    k = key()
    for line in sys.stdin:
        address_text, n = line.split()
        address = address_of(address_text)
        c0, t0 = time.process_time_ns(), time.perf_counter_ns()
        for _ in range(int(n)):
            Client(address, authkey=k).close()
        t1, c1 = time.perf_counter_ns(), time.process_time_ns()
        print(json.dumps({"wall_ns": t1 - t0, "cpu_ns": c1 - c0}), flush=True)


def main():
    command = sys.argv[1]
    if command == "peer":
        peer(sys.argv[2])
    elif command == "drive":
        i = sys.argv.index("--peer")
        peer_cmd = [a for a in sys.argv[i + 1:] if a != "--smoke"]
        drive(option("--impl"), peer_cmd)
    elif command == "serve":
        serve(sys.argv[2])
    elif command == "connect-client":
        connect_client()
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
