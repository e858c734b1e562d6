"""Hostile submissions against the real bubblewrap sandbox, through the real service.

Each is stopped with a recorded reason, and the submission after it evaluates normally.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, SMALL_SPEC, write_submission

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed"
)

LIMITS = """
runner = "bwrap"
memory_mb = 1024
max_processes = 48
max_log_bytes = 200000
"""


@pytest.fixture(scope="module")
def cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podium]:
    root = tmp_path_factory.mktemp("hostile") / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=4.0).replace("attempts = 3\nrelease", "attempts = 99\nrelease")
    (root / "competition.toml").write_text(spec + LIMITS)
    podium = Podium.open(root)
    assert podium.spec.sandbox.runner == "bwrap"
    podium.prepare_data()
    podium.add_team("Mallory")
    podium.open_stage("evaluation")
    yield podium
    podium.close()


def living_sandbox_processes() -> list[str]:
    """Processes of the sandbox user that are not zombies (zombies are dead, just unreaped)."""
    ps = subprocess.run(["ps", "-u", "nobody", "-o", "stat=,args="], capture_output=True, text=True)
    return [
        line
        for line in ps.stdout.splitlines()
        if line.strip() and not line.lstrip().startswith("Z")
    ]


def run_hostile(cup: Podium, tmp_path: Path, code: str) -> tuple[str, str | None, str]:
    """Evaluate a hostile submission, then a good one; return (status, error, log)."""
    bad = write_submission(tmp_path / "bad", code)
    good = write_submission(tmp_path / "good", CONSTANT_PREDICT)
    cup.submit(bad, team="Mallory")
    cup.submit(good, team="Mallory")
    hostile, normal = cup.evaluate_pending()
    assert normal.status == "scored", f"the next submission failed: {normal.error}"
    assert living_sandbox_processes() == [], "a process outlived its run"
    return hostile.status, hostile.error, cup.run(hostile.run_id).log_tail


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
    labels = cup.layout.labels_dir("eval") / "xnli" / "en.jsonl"
    targets = [str(labels), str(cup.layout.store_file), "../sealed/labels/eval/xnli/en.jsonl",
               "../../sealed/labels/eval/xnli/en.jsonl", str(cup.root / "competition.toml")]  # fmt: skip
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
    assert status == "failed" and "MemoryError" in log and "exited with code 1" in (error or "")


def test_endless_loop_times_out(cup: Podium, tmp_path: Path) -> None:
    status, error, _ = run_hostile(cup, tmp_path, "while True:\n    pass")
    assert status == "failed" and "timed out after 4 s" in (error or "")


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
