"""`multiprocess serve` stopped and started again on the same address (docs/xmlrpc.md, "Restarting a server"): TCP
binds again at once (SO_REUSEADDR) although the old connections sit in TIME_WAIT; an AF_UNIX path is removed at a
clean stop and a killed server's stale socket file is replaced, never a live server's; old proxies fail at once,
without hanging, and their late decrefs cannot release the new server's objects; the old manager's new connections
are served."""
import gc
import signal
import threading
import time

import pytest

from conftest import PEER_LIB, run_cli
from manager_server_helpers import ServerProcess, to_cli, watchdog


NO_HOST = ["--no-python"]


def test_tcp_restart_on_the_same_port_serves_old_clients_new_connections():
    with watchdog(60):
        first = ServerProcess("inet", extra=NO_HOST)
        m = first.manager()
        q, d = m.Queue(), m.dict(a=1)
        q.put("before")
        assert q.get() == "before" and d["a"] == 1          # live connections, closed by the server at its stop
        first.stop()
        second = ServerProcess(address=to_cli(first.address), authkey=first.authkey, extra=NO_HOST)
        try:
            assert second.address == first.address
            started = time.monotonic()
            with pytest.raises((EOFError, ConnectionError)):
                q.get(timeout=1)
            assert time.monotonic() - started < 5, "an old proxy must fail at once, not wait"
            # The old manager object opens new connections (create, and a proxy used from another thread): the new
            # server serves them. (A stock proxy's connection is per thread and per address, shared by all of that
            # thread's proxies, and never reopened after a failure: in CPython too, the thread that met the restart
            # keeps failing on that address.)
            q2 = m.Queue()
            seen = []

            def use():
                q2.put("after")
                seen.append(q2.get(timeout=5))
                seen.append(m._number_of_objects())

            worker = threading.Thread(target=use)
            worker.start()
            worker.join(10)
            assert seen[0] == "after"
            # The old proxies' finalizers decref their idents on the new server: refused, nothing of it released.
            # (BaseProxy._decref dispatches and reads the reply: every decref is answered when gc.collect() returns.)
            del q, d
            gc.collect()
            assert m._number_of_objects() == seen[1]
        finally:
            second.stop()


def test_unix_path_is_rebound_after_a_stop_and_after_a_kill(tmp_path):
    with watchdog(60):
        path = str(tmp_path / "manager.sock")
        first = ServerProcess(address=path, extra=NO_HOST)
        first.manager().Queue().put(1)
        first.stop()
        assert not (tmp_path / "manager.sock").exists(), "a stopped server removes its socket file"

        killed = ServerProcess(address=path, extra=NO_HOST)
        killed.stop(signal.SIGKILL)
        assert (tmp_path / "manager.sock").exists(), "a killed server leaves its socket file"

        third = ServerProcess(address=path, extra=NO_HOST)
        try:
            assert "removed the socket file of a server that is gone" in third.log()
            q = third.manager().Queue()
            q.put("served")
            assert q.get() == "served"
            # A live server's path is never taken over.
            refused = run_cli("serve", "--address", path, "--authkey-hex", "00", *NO_HOST, check=False, timeout=30)
            assert refused.returncode == 1 and b"Address already in use" in refused.stderr, refused.stderr
            assert q.qsize() == 0
        finally:
            third.stop()
