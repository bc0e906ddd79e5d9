"""The command-line program itself: it runs, and reports the version the repository declares."""
import os

from conftest import REPO, run_cli, version_independent

pytestmark = version_independent


def test_version_matches_version_txt(cli):
    out = run_cli("version").stdout.decode().strip()
    assert out == (REPO / "version.txt").read_text().strip()


def test_unknown_command_fails_with_usage(cli):
    proc = run_cli("no-such-command", check=False)
    assert proc.returncode == 2
    assert b"unknown command 'no-such-command'" in proc.stderr


def test_unknown_option_is_named_and_exits_with_the_commands_usage_status(cli):
    proc = run_cli("shm", "ls", "--bogus", check=False)
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert b"multiprocess shm: " in proc.stderr and b"'--bogus'" in proc.stderr
    proc = run_cli("pickle", "show", "--bogus", check=False)
    assert proc.returncode == 2 and b"'--bogus'" in proc.stderr
    proc = run_cli("echo", "serve", "127.0.0.1:0", "--bogus", check=False)   # echo's callers read 1 as "could not run"
    assert proc.returncode == 1 and b"'--bogus'" in proc.stderr


def test_help_lists_every_command_and_each_commands_options(cli):
    listing = run_cli("--help").stdout.decode()
    for command in ["celery", "demo", "echo", "pickle", "resource-tracker", "serve", "shm", "version"]:
        assert f"\n  {command} " in listing, listing
    assert run_cli().stdout.decode() == listing
    serve = run_cli("serve", "--help").stdout.decode()
    assert "--authkey-file <PATH>" in serve and "--park-after-ms <N|never>" in serve and "--flavor" in serve


def test_completion_offers_subcommands_and_option_values(cli):
    for line, expected in [("multiprocess sh", ["shm"]),
                           ("multiprocess serve --serializer ", ["auto", "pickle", "xmlrpclib"]),
                           ("multiprocess pickle recode --protocol ", ["2", "3", "4", "5"]),
                           ("multiprocess celery worker --result-serializer ", ["json", "pickle"])]:
        out = run_cli(f"[suggest:{len(line)}]", line).stdout.decode().split()
        assert out == expected, (line, out)


def test_at_name_is_an_abstract_address_not_a_response_file(cli):
    proc = run_cli("echo", "connect", "@multiprocess-test-no-such-%d" % os.getpid(), check=False)
    assert proc.returncode == 1 and b"multiprocess echo connect: " in proc.stderr, proc.stderr
