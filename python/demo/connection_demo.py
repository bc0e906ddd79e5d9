"""Python and C# processes talking over multiprocessing.connection, authenticated, both ways.

1. C# listens (`multiprocess echo serve`), this Python process connects with the authkey and talks.
2. This Python process listens (multiprocessing.connection.Listener), C# connects (`multiprocess echo connect`).
Run by scripts/demo.sh; usage: python connection_demo.py PATH_TO_MULTIPROCESS_COMMAND
"""
import os
import subprocess
import sys
import threading
from multiprocessing.connection import Client, Listener

AUTHKEY = os.urandom(16)


def csharp_listens(cli):
    address = f"@multiprocess-demo-{os.getpid()}"
    server = subprocess.Popen([cli, "echo", "serve", address, "--authkey-hex", AUTHKEY.hex()],
                              stdout=subprocess.PIPE, text=True)
    try:
        ready = server.stdout.readline().split()
        assert ready and ready[0] == "READY", f"unexpected first line from echo serve: {ready}"
        with Client("\0" + address[1:], authkey=AUTHKEY) as conn:
            conn.send_bytes(b"echo")
            for text in ("hello from Python %s" % sys.version.split()[0], "the handshake was mutual"):
                conn.send_bytes(text.encode())
                print(f"  Python -> C# -> Python: {conn.recv_bytes().decode()!r}")
            conn.send_bytes(b"")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"  C# listener at {address} served an authenticated CPython client and said so: OK")


def python_listens(cli):
    with Listener(("127.0.0.1", 0), authkey=AUTHKEY) as listener:
        host, port = listener.address
        client = subprocess.Popen([cli, "echo", "connect", f"{host}:{port}", "--authkey-hex", AUTHKEY.hex()])
        result = {}

        def serve():
            with listener.accept() as conn:
                conn.send_bytes(b"sink 3")
                for i in range(3):
                    conn.send_bytes(b"x" * (10 ** (i + 2)))
                result["reply"] = conn.recv_bytes().decode()

        t = threading.Thread(target=serve)
        t.start()
        t.join(timeout=30)
        client.wait(timeout=30)
    print(f"  C# client authenticated to a CPython Listener at {host}:{port}; it replied {result.get('reply')!r} "
          f"(exit status {client.returncode})")
    assert result.get("reply") == "ok 11100" and client.returncode == 0


if __name__ == "__main__":
    cli = sys.argv[1]
    print("Connections: C# listens, Python connects")
    csharp_listens(cli)
    print("Connections: Python listens, C# connects")
    python_listens(cli)
