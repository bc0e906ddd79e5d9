"""pythonnet (Python.Runtime from the wheel) on CPython 3.11+: the engine's .NET types from Python, and the native
engine working next to a running `clr` (two runtimes in one process: CoreCLR for clr(), Native AOT for the managers)."""
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="pythonnet 3.2 supports CPython 3.11-3.13 only")


def _run(code, env):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=180)


def test_clr_gives_the_engine_types(child_env):
    out = _run("""
        import multiprocess_dotnet as mpd
        clr = mpd.clr()
        from Multiprocess.Pickle import PickleSerializer
        import pickle
        data = bytes(PickleSerializer.Dumps("héllo", None))
        print("roundtrip", pickle.loads(data))
        """, child_env)
    assert out.returncode == 0, out.stderr
    assert "roundtrip héllo" in out.stdout


def test_native_engine_next_to_a_running_clr(child_env):
    out = _run("""
        import multiprocess_dotnet as mpd
        from multiprocess_dotnet import _engine
        mpd.clr()                                   # pythonnet (CoreCLR) runs first
        with mpd.Manager() as m:                    # the managers still load the native engine
            d = m.dict(a=1)
            print("how", _engine.engine().how, d.copy())
        from Multiprocess.Pickle import PickleSerializer
        print("clr still works", bytes(PickleSerializer.Dumps("x", None))[-3:])
        """, child_env)
    assert out.returncode == 0, out.stderr
    assert "how native {'a': 1}" in out.stdout
    assert "clr still works" in out.stdout
