"""A live `podium serve`: news reaches a real webhook listener from the server's deliverer
thread, while its evaluator scores an upload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from ..patience import HANG, answering
from ..webhook import listening
from .conftest import bearer, make_cup
from .test_browser import _free_port


def test_a_served_competition_sends_its_news(tmp_path: Path) -> None:
    with listening() as heard:
        table = (
            f'\n[notify]\nurls = ["{heard.url("all")}"]\n'
            f'[notify.teams]\n"Quick Lex" = ["{heard.url("lex")}"]\n'
            f'"Deep Percept" = ["{heard.url("deep")}"]\n'
        )
        cup = make_cup(tmp_path, extra=table)
        port = _free_port()
        with (tmp_path / "serve.log").open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "podium", "serve", "-c", str(cup.root),
                 "--port", str(port), "--poll", "0.2"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                # written before the server started (make_cup opened the stage): sent now
                heard.wait_for("all", "Stage evaluation is open")
                url = f"http://127.0.0.1:{port}"
                answering(url + "/api/stages", proc=server, log=tmp_path / "serve.log")
                response = httpx.post(
                    url + "/api/submissions",
                    headers=bearer(cup.lex),
                    files={"file": ("sub.zip", cup.archive, "application/zip")},
                    timeout=HANG,
                )
                assert response.status_code == 201, response.text
                sub_id = response.json()["submission_id"]
                scored = heard.wait_for("lex", f"submission {sub_id} in stage evaluation")
                assert "Quick Lex" in scored and "scored" in scored
                heard.wait_for("all", "The leaderboard of stage evaluation changed: 1. Quick Lex")
                assert heard.messages("deep") == []  # another team's news stays its own
            finally:
                server.terminate()
                server.wait(HANG)
