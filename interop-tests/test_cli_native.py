"""The `multiprocess` command as a native executable (Native AOT, scripts/publish-native-cli.sh, built by
scripts/setup.sh into artifacts/native-cli/multiprocess): `serve` reaches READY and a stock CPython client uses a
manager dict through it; `--help` and bad arguments answer as the framework-dependent build does. The rest of the
suite runs the framework-dependent build; this module is what keeps the native one from rotting unseen (trimming or
AOT breaking a code path only shows when the executable runs). It runs in py312 and py314 only: a client of 3.12
and one of 3.14 (the peer root) cover the handshake's two shapes; the other envs skip it with that reason."""
import os
import signal
import subprocess
import sys

import pytest

from conftest import PEER_LIB, REPO
from manager_server_helpers import TIMEOUT, ServerProcess, watchdog

NATIVE_CLI = os.environ.get("MULTIPROCESS_NATIVE_CLI", str(REPO / "artifacts" / "native-cli" / "multiprocess"))

pytestmark = pytest.mark.skipif(
    os.environ.get("MULTIPROCESS_ALL_ENVS") != "1"
    and (PEER_LIB, sys.version_info[:2]) not in (("multiprocessing", (3, 12)), ("multiprocessing", (3, 14))),
    reason="the native executable's check runs in py312 and py314 only (MULTIPROCESS_ALL_ENVS=1 runs it everywhere)")


@pytest.fixture(scope="module")
def native_cli():
    """The native executable; missing is a failure, not a skip: scripts/setup.sh builds it."""
    if not os.path.exists(NATIVE_CLI):
        pytest.fail(f"the native command is not built: {NATIVE_CLI} (run scripts/publish-native-cli.sh)")
    with open(NATIVE_CLI, "rb") as f:
        assert f.read(4) == b"\x7fELF", f"{NATIVE_CLI} is not an ELF executable"
    return NATIVE_CLI


def run_native(native_cli, *args):
    return subprocess.run([native_cli, *args], capture_output=True, timeout=60)


def test_native_serve_answers_a_stock_client_and_stops_by_pid(native_cli):
    with watchdog(120):
        server = ServerProcess("unix", cli=native_cli)
        try:
            # No .NET runtime behind it: the process maps no libcoreclr (the framework-dependent build does).
            with open(f"/proc/{server.proc.pid}/maps") as f:
                maps = f.read()
            assert "libcoreclr" not in maps and "libhostfxr" not in maps, "the native serve loaded the .NET runtime"
            m = server.manager()
            d = m.dict()
            d["answer"] = 42
            d.update({"k": [1, 2.5, "three"], b"bytes": None})
            assert d["answer"] == 42
            assert dict(d.items()) == {"answer": 42, "k": [1, 2.5, "three"], b"bytes": None}
            q = m.Queue()
            q.put(("tuple", 1))
            assert q.get(timeout=TIMEOUT) == ("tuple", 1)
            del d, q
            # Stopped by its pid, as a service manager would: SIGTERM ends it cleanly.
            os.kill(server.proc.pid, signal.SIGTERM)
            assert server.proc.wait(TIMEOUT) == 0, server.log()
        finally:
            server.stop()


def test_native_help_lists_the_commands(native_cli):
    proc = run_native(native_cli, "--help")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = proc.stdout.decode()
    for command in ("serve", "echo", "pickle", "shm"):
        assert command in out, f"`multiprocess --help` does not list {command}: {out}"


def test_native_bad_arguments_name_the_offending_value(native_cli):
    proc = run_native(native_cli, "serve", "--authkey-hex", "00", "--address", "127.0.0.1:notaport")
    assert proc.returncode == 2
    assert b"the port 'notaport' is not a number" in proc.stderr, proc.stderr.decode(errors="replace")
    proc = run_native(native_cli, "serve", "--authkey-hex", "zz", "--address", "127.0.0.1:0")
    assert proc.returncode == 2
    assert b"--authkey-hex 'zz'" in proc.stderr, proc.stderr.decode(errors="replace")
    proc = run_native(native_cli, "serve", "--no-such-option")
    assert proc.returncode == 2
    assert b"--no-such-option" in proc.stderr, proc.stderr.decode(errors="replace")
