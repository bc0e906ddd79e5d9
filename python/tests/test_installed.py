import os
import subprocess
import sys
import sysconfig

import pytest


def test_installed_from_wheel(mpd):
    """The package under test is the installed wheel (site-packages), with the engine inside it."""
    purelib = os.path.realpath(sysconfig.get_paths()["purelib"])
    where = os.path.realpath(mpd.__file__)
    assert where.startswith(purelib + os.sep), "imported %s, not from %s" % (where, purelib)
    engine = os.path.join(os.path.dirname(where), "_engine")
    for name in ("Multiprocess.Interop.dll", "Multiprocess.dll", "Multiprocess.Pickle.dll", "Python.Runtime.dll",
                 "Multiprocess.Interop.runtimeconfig.json"):
        assert os.path.exists(os.path.join(engine, name)), name
    assert mpd.__version__ != "0+source"


def test_engine_loads_through_hostfxr(mpd):
    out = subprocess.run([sys.executable, "-m", "multiprocess_dotnet", "info"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "loaded through hostfxr" in out.stdout
    assert "runtimeconfig" not in out.stderr


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
