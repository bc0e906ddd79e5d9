"""The issue-15 goal "a hostile header costs the server no more memory than the bytes actually received", measured:
`multiprocess serve`, then 8 peers that complete the handshake, announce a 1 GiB message (under the server's 1 GiB
MaxMessageLength; a longer one is refused at its header) and send 0, 1, 4 or 16 MiB of it; the server's VmRSS
growth against the bytes received. Both receive paths: the connection's first request, and a proxy connection
(after accept_connection, the serve_client loop). A fresh server per row, so no row reuses memory an earlier one
freed. Writes dotnet/benchmarks/results/hostile-header.csv.

    $MP_PYTHON_312 scripts/measure-hostile-header.py
"""
import csv, datetime, os, pathlib, struct, subprocess, sys, tempfile, time
from multiprocessing.connection import Client
from multiprocessing.managers import dispatch
REPO = pathlib.Path(__file__).resolve().parent.parent
CLI = str(REPO / "dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess")
key = b"k" * 16
HEADER = 0x3FFFFFF0


def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024


def settled_rss(pid):
    # The server reads at its own pace: wait until its RSS stops moving (two equal readings 0.5 s apart).
    last = rss(pid)
    while True:
        time.sleep(0.5)
        now = rss(pid)
        if now == last:
            return now
        last = now


def measure(path, peers, sent):
    folder = tempfile.mkdtemp(prefix="hostile-header-")
    addr = os.path.join(folder, "s.sock")
    srv = subprocess.Popen([CLI, "serve", "--address", addr, "--authkey-hex", key.hex(), "--no-python"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        srv.stdout.readline()
        warm = [Client(addr, authkey=key) for _ in range(4)]
        for c in warm:
            dispatch(c, None, "accept_connection", ("warm",))
            c.close()
        base = settled_rss(srv.pid)
        conns = []
        chunk = b"\x80" * (1 << 20)
        for i in range(peers):
            c = Client(addr, authkey=key)
            if path == "proxy connection":
                dispatch(c, None, "accept_connection", (f"hostile-{i}",))
            c._send(struct.pack("!i", HEADER))
            left = sent
            while left:
                n = min(left, len(chunk))
                c._send(chunk[:n])
                left -= n
            conns.append(c)
        grew = settled_rss(srv.pid) - base
        for c in conns:
            c.close()
        return grew
    finally:
        srv.terminate()
        srv.wait()
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)


rows = []
for path in ("first request", "proxy connection"):
    for peers, sent in ((8, 0), (8, 1 << 20), (8, 4 << 20), (8, 16 << 20)):
        grew = measure(path, peers, sent)
        rows.append((path, peers, sent, grew))
        print(f"{path}: {peers} peers x header {HEADER:#x} (1 GiB, under the server limit) + {sent >> 20} MiB sent each: "
              f"received {peers * sent >> 20} MiB, server RSS +{grew} MiB", flush=True)
stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
with open(REPO / "dotnet/benchmarks/results/hostile-header.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Suite", "Case", "Path", "Peers", "AnnouncedBytesEach", "SentBytesEach", "ReceivedMiB",
                "ServerRssGrowthMiB", "RssPerReceived", "RssBeyondReceivedMiB", "Command", "Timestamp"])
    for path, peers, sent, grew in rows:
        got = peers * sent / 2**20
        w.writerow(["hostile-header", f"{path}: {peers} peers announce 1 GiB, send {sent >> 20} MiB", path, peers,
                    HEADER, sent, got, grew, f"{grew / got:.2f}" if got else "", grew - got, "scripts/measure-hostile-header.py", stamp])
