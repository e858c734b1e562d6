"""Hostile submissions against the real bubblewrap sandbox, through the real service.

Each is stopped with a recorded reason, and the submission after it evaluates normally.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from podium.harness.cgroups import host_hierarchy
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT
from .conftest import needs_bwrap, run_hostile

pytestmark = needs_bwrap


def test_cannot_reach_a_server_on_the_host_loopback(cup: Podium, tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        for _ in range(40):
            try:
                accepted.append(server.accept())
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('CONNECTED')"
    status, _, log = run_hostile(cup, tmp_path, code)
    thread.join()
    server.close()
    assert status == "failed" and "CONNECTED" not in log and accepted == []
    assert "ConnectionRefusedError" in log or "Network is unreachable" in log


def test_only_loopback_is_visible(cup: Podium, tmp_path: Path) -> None:
    code = "import socket, sys\nprint('IFACES', [n for _, n in socket.if_nameindex()])\nsys.exit(1)"
    _, _, log = run_hostile(cup, tmp_path, code)
    assert "IFACES ['lo']" in log


def test_cannot_read_labels_or_the_store(cup: Podium, tmp_path: Path) -> None:
    labels = cup.competition.layout.labels_dir("eval") / "xnli" / "en.jsonl"
    targets = [str(labels), str(cup.competition.layout.store_file), "../sealed/labels/eval/xnli/en.jsonl",
               "../../sealed/labels/eval/xnli/en.jsonl", str(cup.competition.root / "competition.toml")]  # fmt: skip
    code = f"""
found = []
for path in {targets!r}:
    try:
        open(path).read(1)
        found.append(path)
    except OSError as err:
        print('blocked', type(err).__name__)
print('FOUND', found)
raise SystemExit(1)
"""
    _, _, log = run_hostile(cup, tmp_path, code)
    assert "FOUND []" in log and log.count("blocked") == len(targets)


def test_cannot_write_outside_the_output_folder(cup: Podium, tmp_path: Path) -> None:
    code = """
import os
ok = []
for path in ['/submission/x', os.environ['PODIUM_INPUT_DIR'] + '/x', '/usr/x', '/x', '/data/x']:
    try:
        open(path, 'w').write('x')
        ok.append(path)
    except OSError as err:
        print('blocked', type(err).__name__)
print('WROTE', ok)
raise SystemExit(1)
"""
    _, _, log = run_hostile(cup, tmp_path, code)
    assert "WROTE []" in log and log.count("blocked") == 5


def test_fork_bomb_is_contained(cup: Podium, tmp_path: Path) -> None:
    code = "import os\nwhile True:\n    os.fork()"
    status, error, _ = run_hostile(cup, tmp_path, code)
    assert status == "failed" and error


def test_memory_beyond_the_limit_fails(cup: Podium, tmp_path: Path) -> None:
    status, error, log = run_hostile(cup, tmp_path, "x = bytearray(4 * 1024**3)")
    assert status == "failed"
    if host_hierarchy()[0] is not None:  # the whole tree's memory, in a cgroup
        assert "ran out of memory" in (error or "") and "1024 MiB" in (error or "")
    else:  # an address-space rlimit per process
        assert "MemoryError" in log


def test_endless_loop_times_out(cup: Podium, tmp_path: Path) -> None:
    status, error, _ = run_hostile(cup, tmp_path, "while True:\n    pass")
    limit = cup.competition.spec.sandbox.timeout_seconds
    assert status == "failed" and f"timed out after {limit:g} s" in (error or "")


def test_printing_gigabytes_is_stopped(cup: Podium, tmp_path: Path) -> None:
    status, error, _ = run_hostile(cup, tmp_path, "while True:\n    print('x' * 65536)")
    assert status == "failed" and "printed more than the log limit" in (error or "")


def test_background_process_is_not_left_behind(cup: Podium, tmp_path: Path) -> None:
    code = (
        "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        + CONSTANT_PREDICT
    )
    status, _, _ = run_hostile(cup, tmp_path, code)
    assert status == "scored"  # it did its job; its leftover is gone (checked in run_hostile)
