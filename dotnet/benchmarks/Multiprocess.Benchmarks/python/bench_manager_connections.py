"""CPython's own SyncManager server for the manager-connections suite (the C# side opens the connections).

Prints "READY <address> <server pid>" once the server runs, then waits until stdin closes and shuts it down.

usage: bench_manager_connections.py --authkey HEX
"""
import argparse
import sys
from multiprocessing.managers import SyncManager


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--authkey", required=True)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    m = SyncManager(authkey=bytes.fromhex(args.authkey))
    m.start()
    print("READY", m.address, m._process.pid, flush=True)
    try:
        sys.stdin.read()
    finally:
        m.shutdown()


if __name__ == "__main__":
    main()
