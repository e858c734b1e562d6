"""Issue 13's attacks through a live `podium serve` with the bubblewrap sandbox: a link to the
sealed labels uploaded over the API fails its run, and `kill -9` of the server takes the
running sandbox with it; a server started again cleans up, and honest uploads still score.
A SIGTERM says what the server waits for; a second one stops the run, queued again."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from podium.harness.cgroups import host_hierarchy
from podium.service import Podium
from podium.submission.archive import pack_folder

from ..conftest import CONSTANT_PREDICT, write_submission
from ..harness.conftest import hostile_cup, living_sandbox_processes, needs_bwrap
from ..harness.test_hostile import LINK_TO_LABELS, SLEEPER
from ..patience import HANG, answering, scaled, wait_until
from .test_browser import _free_port

pytestmark = [
    needs_bwrap,
    pytest.mark.skipif(
        host_hierarchy()[0] is None, reason=f"no writable cgroup hierarchy: {host_hierarchy()[1]}"
    ),
]


class Server:
    def __init__(self, root: Path, log: Path, *options: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "podium", "serve", "-c", str(root), "--port", str(self.port),
             "--poll", "0.2", *options],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        answering(self.url + "/api/stages", proc=self.proc, log=log)

    def upload(self, token: str, folder: Path) -> int:
        response = httpx.post(
            self.url + "/api/submissions",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("sub.zip", pack_folder(folder), "application/zip")},
            timeout=HANG,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["submission_id"])

    def submission(self, token: str, submission_id: int) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/api/submissions/{submission_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=HANG,
        )
        return dict(response.json())

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=HANG)
        self.log.close()


def test_hostile_uploads_against_a_live_server(tmp_path: Path) -> None:
    cup: Podium = hostile_cup(tmp_path / "cup", timeout=scaled(4.0))  # the sleeper times out
    token = cup.tokens.create("team", team="Mallory")
    cup.close()
    bad = write_submission(
        tmp_path / "link",
        LINK_TO_LABELS.format(
            make='os.symlink(f"{labels}/{f.parent.name}/{f.name}", out / f.parent.name / f.name)'
        ),
    )
    server = Server(cup.competition.root, tmp_path / "serve.log")
    try:
        linked = server.upload(token, bad)
        wait_until(
            lambda: server.submission(token, linked)["status"] == "failed", "the link to fail"
        )
        assert "a symbolic link" in server.submission(token, linked)["error"]

        sleeper = server.upload(token, write_submission(tmp_path / "sleeper", SLEEPER))
        wait_until(
            lambda: len(living_sandbox_processes(cup.competition.root)) >= 2, "the sleeper to run"
        )
        server.stop(signal.SIGKILL)
        wait_until(
            lambda: living_sandbox_processes(cup.competition.root) == [], "the sandbox to die"
        )

        server = Server(cup.competition.root, tmp_path / "serve.log")
        good = server.upload(token, write_submission(tmp_path / "good", CONSTANT_PREDICT))
        wait_until(lambda: server.submission(token, good)["status"] == "scored", "the good one")
        assert server.submission(token, sleeper)["status"] == "failed"  # timed out on its re-run
    finally:
        server.stop()
    cup = Podium.open(cup.competition.root)
    try:
        sleeper_runs = cup.submissions.get(sleeper).runs
        assert [r.status for r in sleeper_runs] == ["platform_error", "failed"]
        assert not any(cup.competition.layout.work_dir.iterdir())
    finally:
        cup.close()


def test_a_stop_says_what_it_waits_for_and_queues_the_run_again(tmp_path: Path) -> None:
    cup: Podium = hostile_cup(tmp_path / "cup")  # the sleeper sleeps until it is stopped
    token = cup.tokens.create("team", team="Mallory")
    root = cup.competition.root
    cup.close()
    log = tmp_path / "serve.log"
    server = Server(root, log, "--stop-grace", str(HANG))
    signalled = False
    try:
        sleeper = server.upload(token, write_submission(tmp_path / "sleeper", SLEEPER))
        wait_until(lambda: len(living_sandbox_processes(root)) >= 2, "the sleeper to run")
        run = server.submission(token, sleeper)["run_id"]
        server.proc.send_signal(signal.SIGTERM)
        signalled = True
        said = f"waiting up to {HANG:g} s for run {run} to finish"
        wait_until(lambda: said in log.read_text(), "the stop to say what it waits for")
        assert "SIGTERM again to stop it now" in log.read_text()
        assert server.proc.poll() is None  # waiting for the run, as it said
    finally:  # the second SIGTERM: at once, not after the grace
        server.stop(signal.SIGTERM if signalled else signal.SIGKILL)
    assert f"stopped run {run}: queued again" in log.read_text()
    wait_until(lambda: living_sandbox_processes(root) == [], "the sandbox to die")
    cup = Podium.open(root)
    try:
        sub = cup.submissions.get(sleeper)
        assert (sub.status, sub.platform_failures, sub.attempt) == ("queued", 0, 1)
        assert [r.status for r in sub.runs] == ["platform_error"]
        assert "server stopped" in (sub.runs[0].error or "")
        assert cup.submissions.attempts_left("Mallory") == {"evaluation": 98}
    finally:
        cup.close()
