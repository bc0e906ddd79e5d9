import os
import subprocess
import sys
import sysconfig

import pytest


def test_installed_from_wheel(mpd):
    """The package under test is the installed wheel (site-packages), with the engine inside it: the native library
    the managers load, and the IL assemblies clr() loads."""
    platlib = os.path.realpath(sysconfig.get_paths()["platlib"])
    where = os.path.realpath(mpd.__file__)
    assert where.startswith(platlib + os.sep), "imported %s, not from %s" % (where, platlib)
    engine = os.path.join(os.path.dirname(where), "_engine")
    for name in ("Multiprocess.Interop.so", "Multiprocess.Interop.dll", "Multiprocess.dll", "Multiprocess.Pickle.dll",
                 "Python.Runtime.dll", "Multiprocess.Interop.runtimeconfig.json"):
        assert os.path.exists(os.path.join(engine, name)), name
    assert mpd.__version__ != "0+source"


def test_engine_loads_natively(mpd):
    """`info` loads the Native AOT library with ctypes: no hostfxr, no .NET runtime in the process."""
    code = ("import sys; from multiprocess_dotnet.__main__ import main; rc = main(['info']); "
            "maps = open('/proc/self/maps').read(); "
            "print('coreclr' if 'libcoreclr' in maps or 'libhostfxr' in maps else 'no coreclr'); sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "loaded native" in out.stdout
    assert "no coreclr" in out.stdout


def test_import_loads_no_engine():
    """`import multiprocess_dotnet` loads neither the engine nor multiprocessing.managers (they load on first use)."""
    code = ("import sys, multiprocess_dotnet; "
            "print(sorted(m for m in ('ctypes', 'multiprocessing.managers', 'multiprocess_dotnet._engine') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_runtimeconfig_turns_wx_off(mpd):
    import json
    path = os.path.join(os.path.dirname(mpd.__file__), "_engine", "Multiprocess.Interop.runtimeconfig.json")
    with open(path) as f:
        config = json.load(f)
    assert config["runtimeOptions"]["configProperties"]["System.Runtime.EnableWriteXorExecute"] is False


def test_missing_dotnet_is_a_clear_error(tmp_path, monkeypatch):
    """Without a .NET runtime, loading fails with an ImportError that names every folder it looked in."""
    from multiprocess_dotnet import _hostfxr
    monkeypatch.setattr(_hostfxr, "_candidate_roots", lambda: iter([str(tmp_path), str(tmp_path / "other")]))
    with pytest.raises(ImportError, match="libhostfxr.so") as info:
        _hostfxr.find_dotnet_root()
    assert str(tmp_path) in str(info.value) and "DOTNET_ROOT" in str(info.value)


@pytest.mark.skipif(sys.version_info >= (3, 11), reason="pythonnet works on 3.11+: tested in test_pythonnet")
def test_pythonnet_names_supported_versions(mpd):
    with pytest.raises(ImportError, match="3.11-3.13"):
        mpd.clr()


def test_missing_library_is_a_clear_error(tmp_path):
    """A folder without the native library: the first start names the file that is missing."""
    env = dict(os.environ, MULTIPROCESS_DOTNET_ENGINE=str(tmp_path))
    code = "import multiprocess_dotnet as mpd\ntry:\n    mpd.Manager().start()\nexcept ImportError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert os.path.join(str(tmp_path), "Multiprocess.Interop.so") in out.stdout and "is missing" in out.stdout
