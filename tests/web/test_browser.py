"""End to end in Debian's Chromium against a live `podium serve`: sign in, upload, watch the
run get scored, see the charts drawn, be refused another team's page, close the stage. All of
it under the Content-Security-Policy (nothing refused) and the CSRF checks (forms and origin).

Screenshots go to $PODIUM_SCREENSHOTS (default: the test's tmp folder) for people to look at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..chart_labels import measure
from ..patience import HANG, HANG_MS, answering, wait_until
from .conftest import Cup, make_cup

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Cup]]:
    """`podium serve` in its own process, evaluating what teams upload (three timed runs
    each, so durations have an interval)."""
    cup = make_cup(tmp_path, "[efficiency]\nrepeats = 3\n")
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "podium", "serve", "-c", str(cup.root), "--port", str(port),
         "--poll", "0.5"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        answering(url + "/api/stages", proc=proc, log=tmp_path / "serve.log")
        yield url, cup
    finally:
        proc.terminate()
        proc.wait(timeout=HANG)
        log.close()


@pytest.fixture
def live(server: tuple[str, Cup]) -> tuple[str, Cup]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return server


def _podium(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podium", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=HANG,
    )


def test_tokens_and_submit_from_the_command_line(server: tuple[str, Cup], tmp_path: Path) -> None:
    url, cup = server
    folder = tmp_path / "constant"  # written by make_cup
    made = _podium("token", "create", "--team", "Deep Percept", "-c", str(cup.root))
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("pdm_")
    listed = _podium("token", "list", "-c", str(cup.root))
    assert "Deep Percept" in listed.stdout and token not in listed.stdout
    sent = _podium("submit", str(folder), "--server", url, env={"PODIUM_TOKEN": token})
    assert sent.returncode == 0, sent.stderr
    assert "attempt 1 of 3" in sent.stdout and "queue position" in sent.stdout
    refused = _podium("submit", str(tmp_path / "cup" / "competition.toml"), "--server", url,
                      "--token", token)  # fmt: skip
    assert refused.returncode == 2 and "not a folder, .zip or .tar.gz" in refused.stderr
    wrong = _podium("submit", str(folder), "--server", url, "--token", "pdm_forged")
    assert wrong.returncode == 2 and "401" in wrong.stderr
    said = " ".join(wrong.stderr.split())  # Rich wraps long lines
    assert "token create" not in said and "ask them for a new one" in said
    assert _podium("token", "create", "-c", str(cup.root)).returncode == 2

    def scored() -> dict[str, Any] | None:
        team = httpx.get(
            url + "/api/teams/Deep Percept", headers={"Authorization": f"Bearer {token}"}
        ).json()
        return team if team["submissions"][0]["status"] == "scored" else None

    team = wait_until(scored, "the submission to be scored")
    assert team["attempts_left"] == {"evaluation": 2}


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PODIUM_SCREENSHOTS", tmp_path / "shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _labels_inside(page: Any) -> None:
    """Every text the bars and the scatter carry lies inside its plot, every tick label inside
    its chart; the duration cell reads `1.23 s ±4%` with what its interval covers."""
    for chart in ("duration", "tradeoff"):
        placed = measure(page, f"#chart-{chart}")
        assert placed.labels and placed.labels_outside_area() == []
        assert placed.ticks_outside_svg() == []
    cell = page.locator("#leaderboard td.duration").first
    assert re.fullmatch(r"\d[\d.]* s ±[\d.]+%", cell.inner_text())
    assert re.fullmatch(r"75% interval, 3 runs: [\d.]+–[\d.]+ s", cell.get_attribute("title"))


def _watch(page: Any, refused: list[str]) -> None:
    """Collect what the Content-Security-Policy refuses on this page (Chromium logs it)."""
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)


def test_sign_in_upload_watch_it_scored_and_see_the_charts(
    live: tuple[str, Cup], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, cup = live
    archive = tmp_path / "constant.zip"
    archive.write_bytes(cup.archive)
    shots = _shots(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        refused: list[str] = []  # what the Content-Security-Policy blocked: nothing
        _watch(page, refused)
        page.goto(url + "/signin")
        page.fill("#token", cup.lex)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Quick Lex")
        expect(page.locator("#left-evaluation")).to_have_text("3")
        page.set_input_files("#file", str(archive))
        page.click("form.upload button")
        expect(page.locator("#flash")).to_contain_text("Submission #1 received")
        expect(page.locator("#left-evaluation")).to_have_text("2")
        # the page refreshes itself while the run is queued or running
        expect(page.locator("#submissions tbody tr").first).to_have_class(
            "status-scored", timeout=HANG_MS
        )
        page.screenshot(path=str(shots / "team-laptop.png"), full_page=True)

        page.goto(url + "/teams/Deep%20Percept")
        expect(page.locator("h1")).to_have_text("403")
        expect(page.locator(".message")).to_contain_text("visible only to its members")

        page.goto(url + "/leaderboard")
        expect(page.locator("#leaderboard tbody tr")).to_have_count(1)
        expect(page.locator("#leaderboard tbody tr td.team")).to_contain_text("Quick Lex")
        expect(page.locator("body")).to_have_attribute("data-charts", "drawn", timeout=HANG_MS)
        for chart in ("history", "duration", "tradeoff"):
            expect(page.locator(f"#chart-{chart} .main-svg").first).to_be_visible()
        assert page.locator("#chart-duration .bars path").count() >= 1
        _labels_inside(page)
        page.screenshot(path=str(shots / "leaderboard-laptop.png"), full_page=True)
        assert "script-src 'self'" in page.evaluate(
            "fetch('/leaderboard').then(r => r.headers.get('content-security-policy'))"
        )
        # plotly's layout rules went in through the page's nonce'd <style>, not inline ones
        assert page.evaluate(
            "document.getElementById('plotly.js-style-global').sheet.cssRules.length"
        )
        wall = browser.new_page(viewport={"width": 1920, "height": 1080})
        _watch(wall, refused)
        wall.goto(url + "/leaderboard?screen=wall")
        expect(wall.locator("body")).to_have_attribute("data-charts", "drawn", timeout=HANG_MS)
        _labels_inside(wall)
        wall.screenshot(path=str(shots / "leaderboard-wall.png"), full_page=True)

        # the organizer closes the stage from the browser: the winner enters the hall of fame
        org = browser.new_page(viewport={"width": 1366, "height": 768})
        _watch(org, refused)
        org.goto(url + "/signin")
        org.fill("#token", cup.organizer)
        org.click("button[type=submit]")
        expect(org.locator("#runs tbody tr")).to_have_count(1)
        org.screenshot(path=str(shots / "admin-laptop.png"), full_page=True)
        org.click("#stages form[action$='/close'] button")
        expect(org.locator("#stages tbody tr").first).to_contain_text("closed")
        # code is released with the closed stage: any signed-in team can fetch it from the board
        other = browser.new_page(viewport={"width": 1366, "height": 768})
        _watch(other, refused)
        other.goto(url + "/signin")
        other.fill("#token", cup.deep)
        other.click("button[type=submit]")
        other.goto(url + "/leaderboard?stage=evaluation")
        with other.expect_download() as download:
            other.click("#leaderboard a.code")
        assert Path(download.value.path()).read_bytes() == cup.archive
        org.goto(url + "/hall-of-fame")
        expect(org.locator("#hall-of-fame li.tile")).to_contain_text("Quick Lex")
        browser.close()
    assert refused == []
    for name in ("team-laptop", "leaderboard-laptop", "leaderboard-wall", "admin-laptop"):
        assert (shots / f"{name}.png").stat().st_size > 10_000
