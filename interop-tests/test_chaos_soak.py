"""The chaos soak (chaos_soak.py; docs/testing.md): 16 client processes, CPython 3.8 and 3.12 mixed, against
`multiprocess serve` and against the shim's manager, while random clients are SIGKILLed and restarted; every queue
item consumed exactly once, the counter exact, the lock free, the server's objects, descriptors and threads back to
their starting counts.

CI runs it for 8 s per server, once per tox run: in py312 (the soak mixes the interpreters itself; its clients use
the stdlib). The long run is `python interop-tests/chaos_soak.py --target serve|shim --seconds 60 --settle-workers`.
"""
import os
import subprocess
import sys

import pytest

from conftest import PEER_LIB, REPO

SECONDS = os.environ.get("MULTIPROCESS_CHAOS_SECONDS", "8")
HERE = os.path.dirname(os.path.abspath(__file__))

pytestmark = pytest.mark.skipif(PEER_LIB != "multiprocessing" or sys.version_info[:2] != (3, 12),
                                reason="the chaos soak starts its own CPython 3.8 and 3.12 clients, so it is the "
                                       "same run in every env: it runs once, in py312")


@pytest.mark.parametrize("target", ["serve", "shim"])
def test_chaos_soak(target, cli):
    for var in ("MP_PYTHON_38", "MP_PYTHON_312"):
        assert os.environ.get(var), f"{var} is not set (scripts/pythons.sh exports it)"
    if target == "shim":
        launcher = REPO / "python" / "multiprocess_dotnet" / "_engine" / "multiprocess-dotnet-server"
        assert launcher.exists(), f"the shim's engine is not built: {launcher} (wheels/build.sh)"
    proc = subprocess.run([sys.executable, os.path.join(HERE, "chaos_soak.py"), "--target", target,
                           "--seconds", SECONDS, "--clients", "16"],
                          capture_output=True, text=True, timeout=float(SECONDS) + 240)
    print(proc.stdout[-4000:])
    print(proc.stderr[-4000:], file=sys.stderr)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
