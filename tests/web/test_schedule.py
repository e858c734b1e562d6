"""Scheduled stages in a live `podium serve`: a stage closes and the next opens and closes by
itself, a CLI command run in between sees what the server sees, and the pages count down in
Chromium. Times are a few seconds ahead; the tests poll with deadlines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..patience import HANG, HANG_MS, answering, wait_until
from .conftest import ORIGIN, Cup, bearer, make_cup
from .test_browser import CHROMIUM, FLAGS, _free_port


def _at(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def schedule(cup: Cup, closes: datetime, sprint: tuple[datetime, datetime]) -> None:
    """`evaluation` (opened by hand) closes at `closes`; a second stage `sprint` runs in the
    window `sprint`."""
    spec = cup.root / "competition.toml"
    text = spec.read_text().replace(
        "attempts = 3\n", f"attempts = 3\ncloses = {closes.isoformat()}\n", 1
    )
    text += (
        f'\n[[stages]]\nname = "sprint"\nsplit = "eval"\nattempts = 2\n'
        f"opens = {sprint[0].isoformat()}\ncloses = {sprint[1].isoformat()}\n"
    )
    spec.write_text(text)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Cup], str]]:
    """Starts `podium serve` (evaluating, ticking every second) on a cup: its URL."""
    procs: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "serve.log").open("w")

    def start(cup: Cup) -> str:
        port = _free_port()
        command = [sys.executable, "-m", "podium", "serve", "-c", str(cup.root)]
        command += ["--port", str(port), "--poll", "0.5"]
        procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        answering(url + "/api/stages", proc=procs[-1], log=tmp_path / "serve.log")
        return url

    try:
        yield start
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=HANG)
        log.close()


def stages(url: str) -> dict[str, dict[str, Any]]:
    return {st["name"]: st for st in httpx.get(url + "/api/stages", timeout=HANG).json()}


def wait_for(url: str, stage: str, *status: str) -> dict[str, dict[str, Any]]:
    def reached() -> dict[str, dict[str, Any]] | None:
        now = stages(url)
        return now if now[stage]["status"] in status else None

    return wait_until(reached, f"stage {stage} to become {' or '.join(status)}", every=0.2)


def stage_list(cup: Cup) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "podium", "stage", "list", "-c", str(cup.root)],
        capture_output=True, text=True, timeout=HANG, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
    return done.stdout


def upload(url: str, cup: Cup) -> httpx.Response:
    return httpx.post(
        url + "/api/submissions", headers=bearer(cup.lex),
        files={"file": ("sub.zip", cup.archive)}, timeout=HANG,
    )  # fmt: skip


def test_stages_open_and_close_by_themselves_and_the_cli_agrees(
    tmp_path: Path, serve: Callable[[Cup], str]
) -> None:
    # The sprint must be seen open, between two ticks: how long the server takes to start and
    # a poll to come round is the machine's load, so a missed window is tried again with a
    # lead and a window four times as long (never a fixed limit that load could exceed).
    for lead in (6, 24, 96, 384, 1536):
        (tmp_path / f"lead{lead}").mkdir()
        cup = make_cup(tmp_path / f"lead{lead}", name=f"cup led by {lead} s")
        first = _at(lead)
        schedule(cup, first, (first, first + timedelta(seconds=lead)))
        url = serve(cup)
        before = stages(url)
        if datetime.now(UTC) < first - timedelta(seconds=1):  # a slow machine may be past it
            assert before["evaluation"]["status"] == "open"
            assert before["evaluation"]["countdown"]["verb"] == "closes"
            assert before["sprint"]["status"] == "pending"
            assert before["sprint"]["countdown"]["verb"] == "opens"
        now = wait_for(url, "sprint", "open", "closed")
        assert now["evaluation"]["status"] == "closed"
        if now["sprint"]["status"] == "open":
            break
    sent = upload(url, cup)
    if sent.status_code == 201:  # accepted into the open stage, unless it closed meanwhile
        assert sent.json()["stage"] == "sprint"
    else:
        assert sent.status_code == 409 and "no stage is open" in sent.text
    seen, printed, after = stages(url), stage_list(cup), stages(url)
    if seen["sprint"]["status"] == after["sprint"]["status"] == "open":
        assert "evaluation: closed" in printed and "sprint: open" in printed
        assert "closes in" in printed
    wait_for(url, "sprint", "closed")
    printed = stage_list(cup)
    assert "evaluation: closed" in printed and "sprint: closed" in printed
    refused = upload(url, cup)
    assert refused.status_code == 409 and "no stage is open" in refused.text


@pytest.mark.sqlite_only("a browser's view of the pages")
def test_the_countdown_ticks_and_the_page_reloads_at_zero(
    tmp_path: Path, serve: Callable[[Cup], str]
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        refused: list[str] = []
        # The stage must open after the page first shows its countdown; how long the server
        # and the page take to start is the machine's load, so a missed start is tried again
        # with a lead four times as long (never a fixed limit that load could exceed).
        for lead in (12, 48, 192, 768):
            (tmp_path / f"lead{lead}").mkdir()
            cup = make_cup(tmp_path / f"lead{lead}", name=f"cup led by {lead} s")
            first = _at(lead)
            schedule(cup, first, (first, first + timedelta(hours=50)))
            url = serve(cup)
            page = browser.new_page()
            page.on("console", lambda m: refused.append(m.text) if "Policy" in m.text else None)
            page.goto(url + "/leaderboard")
            clock = page.locator("#tab-evaluation time.countdown")
            expect(clock).to_have_text(re.compile(r"closes in \d+ s"), timeout=HANG_MS)
            shown = clock.inner_text()
            if datetime.now(UTC) < first - timedelta(seconds=3):
                break
            page.close()
        assert clock.get_attribute("datetime") == first.isoformat()
        expect(clock).not_to_have_text(shown, timeout=HANG_MS)  # counted down by countdown.js
        expect(page.locator("#tab-sprint time.countdown")).to_contain_text("opens in")
        # at zero the page reloads by itself and shows the stages' new state
        expect(page.locator("#tab-sprint .pill")).to_have_text("open", timeout=HANG_MS)
        expect(page.locator("#tab-evaluation .pill")).to_have_text("closed")
        expect(page.locator("#tab-sprint time.countdown")).to_have_text(
            re.compile(r"closes in (2 d 1 h|2 d 2 h|2 d 0 h)")
        )
        browser.close()
    assert refused == []


def test_max_per_day_through_the_api_and_the_team_page(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from podium.web.app import create_app

    from .test_pages import _sign_in

    cup = make_cup(tmp_path)
    spec = cup.root / "competition.toml"
    spec.write_text(spec.read_text().replace("attempts = 3\n", "attempts = 3\nmax_per_day = 1\n"))
    late = datetime(2030, 5, 6, 23, 59, tzinfo=UTC)
    with TestClient(create_app(cup.root, evaluate=False), headers={"Origin": ORIGIN}) as client:
        podium = client.app.state.podium  # type: ignore[attr-defined]
        podium.submissions.clock = lambda: late

        def send() -> Any:
            files = {"file": ("sub.zip", cup.archive)}
            return client.post("/api/submissions", headers=bearer(cup.lex), files=files)

        assert send().status_code == 201
        refused = send()
        assert refused.status_code == 409
        assert "next attempt is possible from 2030-05-07 00:00 UTC" in refused.text
        team = client.get("/api/teams/Quick Lex", headers=bearer(cup.lex)).json()
        assert team["attempts_left"] == {"evaluation": 0}
        assert team["max_per_day"] == {"evaluation": 1}
        _sign_in(client, cup.lex)
        page = client.get("/teams/Quick Lex").text
        assert "attempts left in evaluation today (1 a day, UTC)" in page
        podium.submissions.clock = lambda: late + timedelta(minutes=1)  # the next UTC day
        left = client.get("/api/teams/Quick Lex", headers=bearer(cup.lex)).json()
        assert left["attempts_left"] == {"evaluation": 1}
        assert send().status_code == 201
