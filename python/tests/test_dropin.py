"""`python -m multiprocess_dotnet run`: an unmodified program's managers served by .NET in its own process."""
import os
import subprocess
import sys

from conftest import PROGRAMS


def test_unmodified_program_runs_on_the_dotnet_server(tmp_path, child_env):
    log = tmp_path / "server.log"
    env = dict(child_env, MULTIPROCESS_DOTNET_LOG=str(log))
    out = subprocess.run([sys.executable, "-m", "multiprocess_dotnet", "run", str(PROGRAMS / "word_count.py"), "4"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "words 44" in out.stdout and "the 12" in out.stdout
    assert "manager multiprocess_dotnet.managers" in out.stdout
    text = log.read_text()
    assert "serving at" in text and "stopped" in text          # the engine's own server log


def test_same_program_without_the_shim_uses_the_stdlib(child_env):
    out = subprocess.run([sys.executable, str(PROGRAMS / "word_count.py"), "2"], capture_output=True, text=True,
                         env=child_env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "manager multiprocessing.managers" in out.stdout


def test_install_and_uninstall(mpd):
    import multiprocessing.managers as mm
    was_installed = mpd.installed()           # test_cpython_manager_suite installs at import
    mpd.uninstall()
    stock = mm.SyncManager
    assert stock.__module__ == "multiprocessing.managers"
    mpd.install()
    try:
        assert mm.SyncManager is mpd.SyncManager and mm.BaseManager is mpd.BaseManager
        with multiprocessing_manager() as m:
            assert isinstance(m, mpd.SyncManager)
            assert (m._process.pid == os.getpid()) == (mpd.server_mode(m._ctx) == "inprocess")
    finally:
        mpd.uninstall()
    assert mm.SyncManager is stock
    if was_installed:
        mpd.install()


def multiprocessing_manager():
    import multiprocessing
    return multiprocessing.Manager()


def test_run_usage_errors():
    out = subprocess.run([sys.executable, "-m", "multiprocess_dotnet", "run", "/no/such/script.py"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "no such file" in out.stderr
    out = subprocess.run([sys.executable, "-m", "multiprocess_dotnet"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "usage" in out.stderr
