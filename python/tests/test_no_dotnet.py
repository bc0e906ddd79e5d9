"""The wheel on a machine without .NET: installed into a fresh venv inside a bubblewrap sandbox where the .NET folders
are empty (tmpfs over /usr/share/dotnet, ~/.dotnet, ~/.nuget), no `dotnet` is on PATH and no DOTNET_* variable is
set, it runs a manager (a dict, a Queue, a Python-registered type id, a spawned worker) through the native engine.
One run per CPython of the tox matrix: the same py3-none wheel serves them all."""
import glob
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

DOTNET_FOLDERS = ("/usr/share/dotnet", "/usr/lib/dotnet", os.path.expanduser("~/.dotnet"),
                  os.path.expanduser("~/.nuget"))

PROGRAM = textwrap.dedent("""
    import multiprocessing as mp, os, shutil, sys
    import multiprocess_dotnet as mpd
    from multiprocess_dotnet import _engine

    assert shutil.which("dotnet") is None, shutil.which("dotnet")
    assert not os.path.isdir("/usr/share/dotnet") or not os.listdir("/usr/share/dotnet"), "the sandbox still shows .NET"

    class Counter:
        def __init__(self):
            self.n = 0
        def add(self, k):
            self.n += k
            return self.n

    class CounterManager(mpd.BaseManager):
        pass
    CounterManager.register("Counter", Counter)

    def work(q, d):
        d["child"] = os.getpid()
        q.put("from child")

    if __name__ == "__main__":
        with mpd.Manager() as m:
            d = m.dict(a=1)
            q = m.Queue()
            p = mp.get_context("spawn").Process(target=work, args=(q, d))
            p.start()
            got = q.get(timeout=60)
            p.join(60)
            assert p.exitcode == 0, p.exitcode
            print("dict", sorted(d.keys()), "queue", got)
        with CounterManager() as cm:
            c = cm.Counter()
            c.add(2)
            print("counter", c.add(3))
        maps = open("/proc/self/maps").read()
        print("engine", _engine.engine().how, "coreclr" if "libcoreclr" in maps else "no coreclr")
    """)


def _wheel():
    repo = os.environ.get("MULTIPROCESS_REPO")
    assert repo, "MULTIPROCESS_REPO is not set (tox.ini sets it)"
    wheels = glob.glob(os.path.join(repo, "wheels", "dist", "multiprocess_dotnet-*-py3-none-manylinux_*_x86_64.whl"))
    assert len(wheels) == 1, "expected one platform wheel in wheels/dist (run wheels/build.sh): %s" % wheels
    return wheels[0]


def test_wheel_runs_a_manager_without_dotnet(tmp_path):
    # 3.14 lives in the peer root, a sandbox of its own (not nested in another here): tox.ini's shim314 runs this test
    # a second time inside `scripts/peer-run.sh --no-dotnet` (a root with no .NET at all) and says so here.
    in_no_dotnet_root = os.environ.get("MULTIPROCESS_NO_DOTNET_ROOT") == "1"
    if sys.version_info >= (3, 14) and not in_no_dotnet_root:
        pytest.skip("3.14: proven by shim314's second run, inside the peer root without .NET (no nested sandbox)")
    bwrap = shutil.which("bwrap")
    assert in_no_dotnet_root or bwrap, "bubblewrap (bwrap) is missing: scripts/setup.sh installs it"
    wheel = _wheel()
    (tmp_path / "program.py").write_text(PROGRAM)
    base_python = os.path.join(sys.base_prefix, "bin", "python%d.%d" % sys.version_info[:2])
    venv = str(tmp_path / "venv")
    script = " && ".join([
        '"$PY" -m venv --without-pip "$VENV"',       # pip from this env installs into it (ensurepip: seconds more)
        '"$PIP_PYTHON" -m pip --python "$VENV/bin/python" install --quiet --no-index --no-deps '
        '--disable-pip-version-check "$WHEEL"',
        'cd "$WORK" && "$VENV/bin/python" program.py',
    ])
    command = [] if in_no_dotnet_root else [bwrap, "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                            "--die-with-parent"]
    for folder in DOTNET_FOLDERS:
        if command and os.path.isdir(folder):
            command += ["--tmpfs", folder]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOTNET_", "PYTHON", "MULTIPROCESS_DOTNET"))}
    env.update(PY=base_python, PIP_PYTHON=sys.executable, VENV=venv, WHEEL=wheel, WORK=str(tmp_path), PATH="/usr/local/bin:/usr/bin:/bin")
    out = subprocess.run(command + ["/bin/sh", "-c", script], capture_output=True, text=True, env=env, timeout=240)
    assert out.returncode == 0, "stdout:\n%s\nstderr:\n%s" % (out.stdout, out.stderr)
    assert "dict ['a', 'child'] queue from child" in out.stdout
    assert "counter 5" in out.stdout
    assert "engine native no coreclr" in out.stdout
