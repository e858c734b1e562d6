"""The wall pages in Debian's Chromium: hall-of-fame tiles in order with working downloads,
and the huddle view on a 1920x1080 screen with its charts drawn, without scrolling."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from podium.store.models import utcnow

from ..chart_labels import measure
from ..patience import HANG_MS
from .conftest import Cup, make_cup
from .test_browser import CHROMIUM, FLAGS, _shots, _watch
from .test_wall import BETTER_PREDICT, WORSE_PREDICT, archive


@pytest.fixture
def cup(tmp_path: Path) -> Cup:
    """Ranked by score alone; Quick Lex leads, then Deep Percept overtakes it (after
    `cup.since`); the evaluation stage closed, the final run and revealed."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    cup = make_cup(tmp_path, "[reranking]\nbonus_places = []\n")
    podium = cup.podium()
    try:
        podium.submissions.submit_data(cup.archive, team="Quick Lex", label="constant", where="t")
        worse = archive(tmp_path, "worse", WORSE_PREDICT)
        podium.submissions.submit_data(worse, team="Deep Percept", label="worse", where="t")
        podium.evaluation.evaluate_pending()
        (tmp_path / "since").write_text(utcnow().isoformat())
        better = archive(tmp_path, "better", BETTER_PREDICT)
        podium.submissions.submit_data(better, team="Deep Percept", label="better", where="t")
        podium.evaluation.evaluate_pending()
        podium.finals.close_stage("evaluation")
        podium.finals.run()
        podium.finals.reveal()
    finally:
        podium.close()
    return cup


def test_hall_of_fame_tiles_and_the_huddle_on_a_wall(live: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = _shots(tmp_path)
    since = (tmp_path / "since").read_text()
    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        _watch(page, refused)
        page.goto(live + "/hall-of-fame")
        tiles = page.locator("#hall-of-fame li.tile")
        expect(tiles).to_have_count(3)
        assert tiles.locator(".badge").all_inner_texts() == ["1st", "2nd", "1st"]
        assert [t.split("\n")[-1] for t in tiles.locator(".where").all_inner_texts()] == [
            "stage final", "stage final", "stage evaluation",
        ]  # fmt: skip
        assert tiles.locator(".team").all_inner_texts() == ["Deep Percept", "Quick Lex",
                                                            "Deep Percept"]  # fmt: skip
        # the badge is drawn by CSS (a coloured disc), not by an emoji font
        assert (
            page.locator(".badge.gold").first.evaluate("b => getComputedStyle(b).borderRadius")
            == "50%"
        )
        page.screenshot(path=str(shots / "hall-of-fame-laptop.png"), full_page=True)
        with page.expect_download() as svg_download:
            tiles.first.locator("a.svg").click()
        assert svg_download.value.suggested_filename.endswith("-deep-percept.svg")
        root = ET.parse(svg_download.value.path()).getroot()
        assert "Deep Percept" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        with page.expect_download() as png_download:
            tiles.nth(1).locator("a.png-download").click()
        assert png_download.value.suggested_filename.endswith("-quick-lex.png")
        assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        wall = browser.new_page(viewport={"width": 1920, "height": 1080})
        _watch(wall, refused)
        wall.goto(live + "/hall-of-fame?screen=wall")
        expect(wall.locator("#hall-of-fame li.tile")).to_have_count(3)
        wall.screenshot(path=str(shots / "hall-of-fame-wall.png"))
        wall.goto(live + "/huddle?" + _query(since) + "&screen=wall")
        expect(wall.locator("body")).to_have_attribute("data-charts", "drawn", timeout=HANG_MS)
        expect(wall.locator("section.huddle")).to_have_count(2)  # evaluation, and the final
        first = wall.locator("section.huddle").first
        assert first.locator("tbody tr td.team").all_inner_texts() == ["Deep Percept",
                                                                       "Quick Lex"]  # fmt: skip
        assert first.locator("td.move").all_inner_texts() == ["▲1", "▼1"]
        expect(first.locator("tr.new-best td.best")).to_contain_text("new best")
        for chart in ("history", "duration", "tradeoff"):
            expect(wall.locator(f"#chart-{chart}-1 .main-svg").first).to_be_visible()
        assert measure(wall, "#chart-tradeoff-1").labels_outside_area() == []
        wall.screenshot(path=str(shots / "huddle-wall.png"), full_page=True)
        assert wall.evaluate("document.documentElement.scrollHeight") <= 1080  # no scrolling
        assert float(wall.evaluate("getComputedStyle(document.body).fontSize")[:-2]) >= 20
        wall.screenshot(path=str(shots / "huddle-wall.png"))
        browser.close()
    assert refused == []
    assert (shots / "huddle-wall.png").stat().st_size > 10_000


def _query(since: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"since": since})
