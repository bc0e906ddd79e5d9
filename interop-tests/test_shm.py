"""Shared memory and ShareableList between the engine's `multiprocess shm` command and the Python peer, both ways."""
import json
import math
import sys

import pytest

from conftest import run_cli, version_independent
from shm_support import layout_args, peer_modules, segment_exists, semaphore_exists, untracked  # noqa: F401 (fixture)


def test_segment_created_by_cli_python_attaches_reads_and_writes(cli, untracked):
    name = run_cli("shm", "create", "--size", "4096").stdout.decode().strip()
    try:
        assert name.startswith("psm_") and len(name) == 12
        shm = untracked.shared_memory.SharedMemory(name=name)
        assert shm.size == 4096
        assert bytes(shm.buf[:16]) == bytes(16), "zero-filled"
        shm.buf[:5] = b"hello"
        shm.close()
        dump = run_cli("shm", "show", name, "--hex", "--bytes", "16").stdout.decode()
        assert dump.startswith("00000000  68 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00  |hello...........|")
    finally:
        run_cli("shm", "rm", name)
    assert not segment_exists(name)


def test_segment_created_by_python_cli_sees_it(cli, untracked):
    shm = untracked.shared_memory.SharedMemory(create=True, size=100)
    try:
        shm.buf[98:100] = b"\x01\x02"
        listing = json.loads(run_cli("shm", "ls", "--json").stdout)
        mine = [e for e in listing if e["name"] == shm.name]
        assert mine == [{"name": shm.name, "kind": "segment", "size": 100, "shareable_list": None}]
        assert "01 02" in run_cli("shm", "show", shm.name, "--hex").stdout.decode()
        proc = run_cli("shm", "show", shm.name, check=False)
        assert proc.returncode == 1 and b"is not a ShareableList" in proc.stderr
    finally:
        shm.close()
        shm.unlink()


def test_list_created_by_cli_python_reads_and_writes(cli, untracked):
    items = '[1, -2.5, true, null, "h\u00e9", {"bytes": "7879"}, 9223372036854775807, 2.0, {"float": "-inf"}]'
    name = run_cli("shm", "create", "--list", items, *layout_args()).stdout.decode().strip()
    try:
        sl = untracked.shared_memory.ShareableList(name=name)
        assert list(sl) == [1, -2.5, True, None, "h\u00e9", b"xy", 9223372036854775807, 2.0, -math.inf]
        assert sl.format == "qdxxxxxxx?xxxxxx?x8s8sqdd"
        sl[0] = "seven!!"
        sl[3] = 1e16
        sl[5] = None
        sl.shm.close()
        shown = run_cli("shm", "show", name).stdout.decode()
        assert shown == '["seven!!",-2.5,true,1e+16,"h\u00e9",null,9223372036854775807,2.0,{"float":"-inf"}]\n'
    finally:
        run_cli("shm", "rm", name)


def test_list_created_by_python_cli_shows_one_json_line(cli, untracked):
    sl = untracked.shared_memory.ShareableList(
        [0, 2.0, 0.1, float("nan"), False, None, "", "x" * 9, b"\x00\xff", "\u00e9\u00e9\u00e9\u00e9bcd"])
    try:
        proc = run_cli("shm", "show", sl.shm.name)
        assert proc.stdout.decode() == (
            '[0,2.0,0.1,{"float":"nan"},false,null,"","xxxxxxxxx",{"bytes":"00ff"},"\u00e9\u00e9\u00e9\u00e9"]\n')
        listing = json.loads(run_cli("shm", "ls", "--json").stdout)
        entry = [e for e in listing if e["name"] == sl.shm.name][0]
        layout = "3.8" if sys.version_info < (3, 9) else "3.9+"
        assert entry["shareable_list"] == {"layout": layout, "items": 10}
        assert entry["size"] == sl.shm.size
    finally:
        sl.shm.close()
        sl.shm.unlink()


@version_independent
def test_both_layouts_are_told_apart(cli):
    new = run_cli("shm", "create", "--list", '[1, "a"]').stdout.decode().strip()
    old = run_cli("shm", "create", "--list", '[1, "a"]', "--layout", "3.8").stdout.decode().strip()
    try:
        assert run_cli("shm", "show", new).stdout == run_cli("shm", "show", old).stdout == b'[1,"a"]\n'
        text = run_cli("shm", "ls").stdout.decode()
        assert f"ShareableList (2 items, 3.9+ layout)" in [l for l in text.splitlines() if new in l][0]
        assert f"ShareableList (2 items, 3.8 layout)" in [l for l in text.splitlines() if old in l][0]
    finally:
        run_cli("shm", "rm", new, old)


@version_independent
def test_cli_errors_go_to_stderr_with_status_1(cli, untracked):
    proc = run_cli("shm", "show", "psm_nosuch00", check=False)
    assert (proc.returncode, proc.stdout) == (1, b"")
    assert b"no such segment: 'psm_nosuch00'" in proc.stderr
    proc = run_cli("shm", "create", "psm_zero0000", "--size", "0", check=False)
    assert proc.returncode == 1 and b"'size' must be a positive number different from zero" in proc.stderr
    shm = untracked.shared_memory.SharedMemory(create=True, size=8)
    try:
        proc = run_cli("shm", "create", shm.name, "--size", "8", check=False)
        assert proc.returncode == 1 and f"segment '{shm.name}' already exists".encode() in proc.stderr
    finally:
        shm.close()
        shm.unlink()
    proc = run_cli("shm", "create", "--list", "[[1]]", check=False)
    assert proc.returncode == 1 and b"item 0" in proc.stderr
    assert run_cli("shm", "rm", "psm_nosuch00", check=False).returncode == 1


def test_cli_created_segment_outlives_the_command_and_an_untracked_visitor(cli):
    name = run_cli("shm", "create", "--size", "64").stdout.decode().strip()
    try:
        m = peer_modules()
        if sys.version_info >= (3, 13) and "track" in m.shared_memory.SharedMemory.__init__.__code__.co_varnames:
            shm = m.shared_memory.SharedMemory(name=name, track=False)  # 3.13: nothing registered
        else:
            import unittest.mock
            with unittest.mock.patch.object(m.resource_tracker, "register"):
                shm = m.shared_memory.SharedMemory(name=name)
        shm.buf[0] = 1
        shm.close()
        assert segment_exists(name)
        assert run_cli("shm", "show", name, "--hex", "--bytes", "1").stdout.startswith(b"00000000  01")
    finally:
        run_cli("shm", "rm", name)


def test_ls_shows_python_semaphores_and_rm_removes_them(cli):
    import _multiprocessing
    import secrets
    name = "/mp-" + secrets.token_hex(4)
    # A raw SemLock (no finalizer that would unlink it again): kind SEMAPHORE, value 3, maxvalue 3, name kept.
    sem = _multiprocessing.SemLock(1, 3, 3, name, False)
    sem.acquire()
    listing = json.loads(run_cli("shm", "ls", "--json").stdout)
    assert {"name": name, "kind": "semaphore", "size": 32, "value": 2} in listing
    run_cli("shm", "rm", name)
    assert not semaphore_exists(name)
    sem.release()  # the handle stays usable after the name is gone
