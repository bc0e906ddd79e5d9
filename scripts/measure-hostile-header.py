"""The issue-15 goal "a hostile header costs the server no more memory than the bytes actually received", measured:
`multiprocess serve`, then 8 peers that complete the handshake, announce a 1 GiB message (under the server's 1 GiB
MaxMessageLength; a longer one is refused at its header) and send 0, 1, 4 or 16 MiB of it; the server's VmRSS
growth against the bytes received. Writes dotnet/benchmarks/results/hostile-header.csv.

    $MP_PYTHON_312 scripts/measure-hostile-header.py
"""
import csv, datetime, os, pathlib, struct, subprocess, sys, tempfile, time
from multiprocessing.connection import Client
REPO = pathlib.Path(__file__).resolve().parent.parent
CLI = str(REPO / "dotnet/src/Multiprocess.Cli/bin/Release/net10.0/multiprocess")
addr = os.path.join(tempfile.mkdtemp(prefix="hostile-header-"), "s.sock")
key = b"k" * 16
srv = subprocess.Popen([CLI, "serve", "--address", addr, "--authkey-hex", key.hex(), "--no-python"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
srv.stdout.readline()
def rss():
    for l in open(f"/proc/{srv.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) // 1024
warm = [Client(addr, authkey=key) for _ in range(4)]
for c in warm: c.close()
time.sleep(1)
base = rss()
rows = []
for peers, sent in ((8, 0), (8, 1 << 20), (8, 4 << 20), (8, 16 << 20)):
    conns = []
    for _ in range(peers):
        c = Client(addr, authkey=key)
        c._send(struct.pack("!i", 0x3FFFFFF0))
        chunk = b"\x80" * (1 << 20)
        left = sent
        while left:
            n = min(left, len(chunk)); c._send(chunk[:n]); left -= n
        conns.append(c)
    time.sleep(1.5)
    r = rss()
    rows.append((peers, sent, r - base))
    print(f"{peers} peers x header 0x3FFFFFF0 (1 GiB, under the server limit) + {sent >> 20} MiB sent each: received {peers * sent >> 20} MiB, server RSS +{r - base} MiB", flush=True)
    for c in conns: c.close()
    time.sleep(1.5)
    base = rss()
srv.terminate(); srv.wait()
stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
with open(REPO / "dotnet/benchmarks/results/hostile-header.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Suite", "Case", "Peers", "AnnouncedBytesEach", "SentBytesEach", "ReceivedMiB", "ServerRssGrowthMiB", "RssPerReceived", "Command", "Timestamp"])
    for peers, sent, grew in rows:
        got = peers * sent / 2**20
        w.writerow(["hostile-header", f"{peers} peers announce 1 GiB, send {sent >> 20} MiB", peers, 0x3FFFFFF0, sent, got, grew,
                    f"{grew / got:.2f}" if got else "", "scripts/measure-hostile-header.py", stamp])
