"""MULTIPROCESS_DOTNET_SPIN_US (docs/native.md, "At 1 worker"): the shim's servers poll for a proxy's next request
that long before they block, with a thread per connection for its life; in both server modes the managers serve as
before (spawned workers, shutdown while their connections are open), and a value that is not a number of
microseconds is refused with an error that names it."""
import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent("""
    import multiprocessing as mp, sys
    import multiprocess_dotnet as mpd
    import shim_targets

    if __name__ == "__main__":
        ctx = mp.get_context("spawn")
        try:
            m = mpd.Manager()
        except Exception as e:
            print("refused", type(e).__name__, e)
            sys.exit(0)
        with m:
            d, q = m.dict(), m.Queue()
            for i in range(200):
                d[i % 7] = i
                q.put(d[i % 7])
                assert q.get(timeout=10) == i
            p = ctx.Process(target=shim_targets.report_pid, args=(q,))
            p.start()
            p.join(60)
            print("mode", mpd.server_mode(), "served", len(d), p.exitcode, q.get(timeout=10) == p.pid)
    """)


def _run(child_env, tmp_path, mode, spin):
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    env = dict(child_env, MULTIPROCESS_DOTNET_SERVER=mode, MULTIPROCESS_DOTNET_SPIN_US=spin)
    # A hang (a server thread that never leaves its poll) is a failure: TimeoutExpired.
    return subprocess.run([sys.executable, str(program)], capture_output=True, text=True, env=env, timeout=180)


@pytest.mark.parametrize("mode", ["process", "inprocess"])
def test_spinning_servers_serve_and_stop(child_env, tmp_path, mode):
    out = _run(child_env, tmp_path, mode, "150")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mode %s served 7 0 True" % mode in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize("mode", ["process", "inprocess"])
def test_spin_that_is_not_a_number_is_refused(child_env, tmp_path, mode):
    out = _run(child_env, tmp_path, mode, "fast")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "refused" in out.stdout and "MULTIPROCESS_DOTNET_SPIN_US='fast'" in out.stdout, out.stdout + out.stderr
