"""The engine's mixed pool driven from its command line with this interpreter as the Python workers:
`multiprocess demo --python <this python>` (CPython workers run multiprocessing.pool.worker, C# workers share the
task stream; the results are checked in order)."""
import subprocess
import sys

import pytest


def test_demo_with_this_python(cli, peer_lib):
    if peer_lib != "multiprocessing":
        pytest.skip("the pool's workers are stdlib multiprocessing processes; nothing differs with the dill peer")
    proc = subprocess.run([cli, "demo", "--python", sys.executable, "--tasks", "60", "--span", "4000"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = "%d.%d.%d" % sys.version_info[:3]
    assert f"CPython {version} worker(s)" in proc.stdout
    assert "check: 60 results in task order" in proc.stdout and ": OK" in proc.stdout
    assert "progress: 60/60 tasks" in proc.stdout  # not a terminal: plain progress lines


def test_demo_bad_python_is_a_clear_error(cli):
    proc = subprocess.run([cli, "demo", "--python", "/no/such/python"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "/no/such/python" in proc.stderr and "--python" in proc.stderr
