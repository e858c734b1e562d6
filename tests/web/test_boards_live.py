"""Two `podium serve` processes on one store (one SQLite file, or one PostgreSQL database
under PODIUM_STORE_URL): each caches its boards, and a scored run, a closed stage and a
reveal made by another process show on each server's very next request."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Cup, bearer
from .test_browser import _free_port


class Serving:
    """One `podium serve --no-evaluate` process."""

    def __init__(self, root: Path, log: Path) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "podium", "serve", "-c", str(root), "--port",
             self.url.rsplit(":", 1)[1], "--no-evaluate"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_up(self) -> None:
        """Until it answers, or it has exited (then its log says why)."""
        while self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/api/stages", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"the server exited: {self.log.name}")

    def board(self, stage: str, token: str | None = None) -> Any:
        headers = bearer(token) if token else {}
        response = httpx.get(f"{self.url}/api/leaderboard?stage={stage}", headers=headers)
        return response.status_code, response.json()

    def page(self, stage: str) -> str:
        """The leaderboard page an anonymous visitor sees, asked twice (the second kept by
        `web/pagecache.py`): the same page both times, but for the CSP nonce."""
        texts = []
        for _ in range(2):
            response = httpx.get(f"{self.url}/leaderboard?stage={stage}")
            assert response.status_code == 200, response.text[:300]
            nonce = response.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
            texts.append(response.text.replace(nonce, ""))
        assert texts[0] == texts[1]
        return texts[0]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


@pytest.fixture
def servers(cup: Cup, tmp_path: Path) -> Iterator[list[Serving]]:
    started = [Serving(cup.root, tmp_path / f"serve-{i}.log") for i in range(2)]
    try:
        for server in started:
            server.wait_up()
        yield started
    finally:
        for server in started:
            server.stop()


def _teams(server: Serving, stage: str, token: str | None = None) -> list[str]:
    status, board = server.board(stage, token)
    assert status == 200, board
    return [row["team"] for row in board["rows"]]


def test_a_change_made_elsewhere_shows_on_every_server_s_next_request(
    cup: Cup, servers: list[Serving]
) -> None:
    for server in servers:  # each has computed and cached the empty board
        assert _teams(server, "evaluation") == [] == _teams(server, "evaluation")
        assert "Quick Lex" not in server.page("evaluation")
        assert "Results hidden" in server.page("final")
    podium = cup.podium()
    try:
        podium.submissions.submit_data(cup.archive, team="Quick Lex", label="a.zip", where="a")
        [outcome] = podium.evaluation.evaluate_pending()
        assert outcome.status == "scored", outcome.error
        for server in servers:
            assert _teams(server, "evaluation") == ["Quick Lex"]
            assert "Quick Lex" in server.page("evaluation")
        podium.finals.close_stage("evaluation", publish=False)
        for server in servers:
            assert server.board("evaluation")[1]["status"] == "closed"
            assert 'class="pill closed"' in server.page("evaluation")
        [final] = podium.finals.run()
        assert final.status == "scored", final.error
        for server in servers:  # hidden: the organizer sees it, nobody else yet
            assert _teams(server, "final", cup.organizer) == ["Quick Lex"]
            assert server.board("final")[0] == 403
        podium.finals.reveal(remeasure=False)
        for server in servers:
            assert _teams(server, "final") == ["Quick Lex"]
            page = server.page("final")
            assert "Results hidden" not in page and "Quick Lex" in page
    finally:
        podium.close()
