"""The command-line program itself: it runs, and reports the version the repository declares."""
from conftest import REPO, run_cli


def test_version_matches_version_txt(cli):
    out = run_cli("version").stdout.decode().strip()
    assert out == (REPO / "version.txt").read_text().strip()


def test_unknown_command_fails_with_usage(cli):
    proc = run_cli("no-such-command", check=False)
    assert proc.returncode == 2
    assert b"unknown command 'no-such-command'" in proc.stderr
