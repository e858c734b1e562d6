"""Every page on every screen, in Debian's Chromium: a phone (390x844), a tablet (768x1024), a
laptop (1366x768) and a wall (1920x1080). No page scrolls sideways (a table scrolls inside its
card, and on a phone becomes cards), every chart is drawn within a bound, the reasons of a
move are readable on a phone, the huddle and its wall view draw at every size on the data that
hung a phone (a log axis, a long name, failed, cancelled, queued and running submissions, a
fourth attempt), and the wall view fits 1920x1080 with nothing clipped.

Cheap on purpose: one browser, each page loaded once on the phone and then resized up (a
layout at each width is CSS's work, not a reload's); fresh loads only where drawing at a width
is what is tested (the huddle and the wall, at each size).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from podium.store.models import utcnow

from ..chart_labels import inside, measure
from ..patience import scaled
from .conftest import Cup, make_cup
from .test_browser import CHROMIUM, FLAGS, _shots, _watch
from .test_wall import BETTER_PREDICT, WORSE_PREDICT, archive

PHONE = {"width": 390, "height": 844}
SIZES = [PHONE, {"width": 768, "height": 1024}, {"width": 1366, "height": 768},
         {"width": 1920, "height": 1080}]  # fmt: skip
DRAWING = 5.0  # seconds every chart of a page takes to draw, at most, on a quiet machine
# a run that fails with a long error line, unbroken (a path, a token): it must wrap, not widen
FAILING_PREDICT = "import sys\nsys.exit('no-model-file:' + 'x' * 300)\n"


# a long name, wrapped on the bars' axis and beside its point: the probe's phone hang needed one
LONG = "Équipe Zéro-Latence des Très Longs Noms Multilingues"
# the slow team sleeps this many times the constant submission's duration: the durations span
# more than LOG_SPAN, so the charts draw a log axis (a tick per power of ten)
SLOWER = 15


@pytest.fixture
def cup(tmp_path: Path) -> Cup:
    return build_cup(tmp_path)


def build_cup(tmp_path: Path) -> Cup:
    """A competition as teams leave it: both teams scored, Deep Percept overtaking Quick Lex
    (after `since`), a failed run, a team with a long name far slower than the others (a
    log axis), a question answered; the evaluation stage closed with a run still going, a
    submission cancelled and one queued on a granted fourth attempt; the final run and
    revealed."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    cup = make_cup(
        tmp_path, "[reranking]\nmax_score_gap = 50\n[efficiency]\nphoto_finish_runs = 3\n"
    )
    podium = cup.podium()
    try:
        submit = podium.submissions.submit_data
        podium.setup.add_team(LONG, ["Eve"])
        submit(cup.archive, team="Quick Lex", label="constant", where="t")
        submit(archive(tmp_path, "worse", WORSE_PREDICT), team="Deep Percept", label="w", where="t")
        podium.evaluation.evaluate_pending()
        (tmp_path / "since").write_text(utcnow().isoformat())
        fast = max(r.duration for r in podium.results.leaderboard("evaluation").rows)
        # the lowest score too: no move hangs on it, so no photo finish runs it again
        slow = f"import time\ntime.sleep({SLOWER * fast:.3f})\n" + WORSE_PREDICT
        submit(archive(tmp_path, "slow", slow), team=LONG, label="slow", where="t")
        submit(archive(tmp_path, "better", BETTER_PREDICT), team="Deep Percept", label="b",
               where="t")  # fmt: skip
        submit(archive(tmp_path, "failing", FAILING_PREDICT), team="Quick Lex", label="oops",
               where="t")  # fmt: skip
        gone = submit(cup.archive, team="Quick Lex", label="gone", where="t")
        podium.choices.cancel(gone.submission_id, team="Quick Lex", actor="team Quick Lex")
        submit(cup.archive, team="Quick Lex", label="again", where="t")
        podium.evaluation.evaluate_pending()
        # a fourth attempt, granted, queued; a run going when the stage closed (below)
        submit(cup.archive, team="Deep Percept", label="going", where="t")
        podium.choices.grant("Quick Lex", "evaluation", 1, "the runner crashed", actor="org")
        submit(cup.archive, team="Quick Lex", label="waits", where="t")
        lex = podium.tokens.authenticate(cup.lex)
        org = podium.tokens.authenticate(cup.organizer)
        asked = podium.questions.ask(lex, "Is the " + "very" * 30 + " long test set sealed?",
                                     "It is, isn't it? `" + "y" * 200 + "`")  # fmt: skip
        podium.questions.answer(org, asked.id, "Yes: sealed, and checked at every run.")
        podium.finals.close_stage("evaluation")
        podium.finals.run()
        podium.finals.reveal()
        assert podium.evaluation.claim_next("evaluation") is not None  # as an evaluator does
    finally:
        podium.close()
    return cup


_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter((e) => {
    const b = e.getBoundingClientRect();
    return b.right > width + 1 && getComputedStyle(e).position !== 'fixed'
      && !e.closest('.table-wrap, .card > table, [data-chart]');
  }).slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


def _no_sideways_scroll(page: Any, where: str) -> None:
    found = page.evaluate(_OVERFLOW)
    assert found["scroll"] <= found["width"], f"{where}: {found}"


def _drawn(page: Any, within: int) -> None:
    """Every chart drawn and its labels placed (the page says so) within `within` ms."""
    from playwright.sync_api import expect

    if page.locator("[data-chart-set]").count():
        expect(page.locator("body")).to_have_attribute("data-charts", "drawn", timeout=within)


def _sign_in(browser: Any, url: str, token: str, refused: list[str]) -> Any:
    page = browser.new_page(viewport=PHONE)
    _watch(page, refused)
    page.goto(url + "/signin")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/signin" not in url)
    return page


def _readable_reasons(page: Any) -> None:
    """On a phone every row of the board shows its reasons across the card, and a decision
    row is as tall as its text (not a 450 px column of one word per line)."""
    width = PHONE["width"]
    whys = page.locator("#leaderboard td.why")
    assert whys.count() >= 1
    for box in [whys.nth(i).bounding_box() for i in range(whys.count())]:
        assert box is not None and box["width"] >= 0.6 * width
    rows = page.locator("#decisions tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        box = rows.nth(i).bounding_box()
        assert box is not None and box["height"] <= 0.3 * PHONE["height"], rows.nth(i).inner_text()
    heads = page.locator("#leaderboard th.task .metric").all_inner_texts()
    assert "span F1" in heads  # a 0.00 under UD-POS says what it is


def _fits_the_wall(page: Any) -> None:
    """1920x1080 without scrolling; captions readable from across the room; every axis
    title, legend entry, team name and label inside its chart; no legend scrolls."""
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    sizes = page.locator("section.huddle figcaption").evaluate_all(
        "(cs) => cs.map((c) => parseFloat(getComputedStyle(c).fontSize))"
    )
    assert sizes and min(sizes) >= 20
    for chart in page.locator("section.huddle [data-chart]").all():
        selector = "#" + chart.get_attribute("id")
        placed = measure(page, selector)
        assert placed.ticks_outside_svg() == [], selector
        assert placed.labels_outside_area() == [], selector
        texts = chart.evaluate(
            """(c) => [...c.querySelectorAll('.g-xtitle text, .g-ytitle text, .legendtext')]
                .map((t) => { const b = t.getBoundingClientRect();
                              return [t.textContent, [b.left, b.top, b.right, b.bottom]]; })"""
        )
        outside = [text for text, box in texts if not inside(tuple(box), placed.svg)]
        assert outside == [], (selector, outside)
        assert (
            chart.locator(".legend .scrollbar").evaluate_all(
                "(bars) => bars.filter((b) => b.getBoundingClientRect().height > 0).length"
            )
            == 0
        ), f"{selector}: the legend scrolls"


def test_every_page_on_every_screen(live: str, cup: Cup, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = _shots(tmp_path)
    since = urlencode({"since": (tmp_path / "since").read_text()})
    refused: list[str] = []
    pages = [
        "/leaderboard", "/leaderboard?stage=evaluation", "/hall-of-fame", "/questions",
        "/questions/1", "/teams/Quick%20Lex", f"/teams/{quote(LONG)}", "/submissions/5",
        "/admin", "/admin/what-if?stage=evaluation&gap=1", "/no-such-page",
    ]  # fmt: skip
    # charts are drawn within 5 s on a quiet machine (the bound), stretched by how
    # slow this one is now: a hang fails in seconds, not after HANG
    drawing = int(1000 * scaled(DRAWING))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        guest = browser.new_page(viewport=PHONE)
        _watch(guest, refused)
        guest.goto(live + "/signin")
        for size in SIZES:
            guest.set_viewport_size(size)
            _no_sideways_scroll(guest, f"/signin at {size['width']}")
        org = _sign_in(browser, live, cup.organizer, refused)
        org.set_default_timeout(drawing)
        for path in pages:
            org.set_viewport_size(PHONE)
            org.goto(live + path)
            _drawn(org, drawing)
            if path == "/leaderboard?stage=evaluation":
                _readable_reasons(org)
            # on a phone every table is cards: nothing to scroll sideways, even inside a card
            wide = org.locator("table").evaluate_all(
                "(ts) => ts.filter((t) => t.scrollWidth > t.clientWidth + 1).map((t) => t.id)"
            )
            assert wide == [], (path, wide)
            name = path.strip("/").split("?")[0].replace("/", "-") or "root"
            org.screenshot(path=str(shots / f"{name}-phone.png"), full_page=True)
            for size in SIZES:
                org.set_viewport_size(size)
                _no_sideways_scroll(org, f"{path} at {size['width']}")

        # the huddle and its wall view draw at the width they load at, at every size, on a
        # log axis with a long name (on a phone that hung before DOMContentLoaded); the label
        # fitting settles (it used to re-run forever)
        huddle = f"/huddle?{since}"
        stages = org.request.get(live + f"/api/huddle?{since}").json()["stages"]
        assert any(st["charts"]["log_duration_axis"] for st in stages)  # what hung
        for view in (huddle, huddle + "&screen=wall"):
            for size in SIZES:
                org.set_viewport_size(size)
                org.goto(live + view)
                _drawn(org, drawing)
                where = f"{view} at {size['width']}"
                _no_sideways_scroll(org, where)
                _titles_whole(org, where)
                if size == PHONE:
                    _settled(org)
        org.screenshot(path=str(shots / "huddle-wall.png"), full_page=True)
        expect(org.locator("section.huddle")).to_have_count(2)
        _fits_the_wall(org)

        # a tile's PNG shows in the browser; the link beside it downloads it
        guest.set_viewport_size({"width": 1366, "height": 768})
        guest.goto(live + "/hall-of-fame")
        tile = guest.locator("#hall-of-fame li.tile").first
        with guest.expect_download() as saved:
            tile.locator("a.png-download").click()
        assert saved.value.suggested_filename.endswith(".png")
        tile.locator("a.png").click()
        guest.wait_for_load_state()
        assert guest.evaluate("document.contentType") == "image/png"
        assert guest.evaluate("document.images[0].naturalWidth") == 1600
        browser.close()
    assert refused == []


def _titles_whole(page: Any, where: str) -> None:
    """No chart title cut off (an ellipsis, a wall's fourth title used to end in one)."""
    cut = page.locator("figcaption").evaluate_all(
        "(cs) => cs.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent)"
    )
    assert cut == [], (where, cut)


_SETTLED = """(gd) => new Promise((done) => {
  // a redraw plotly makes on its own (a resize, automargin) must start no label fitting: the
  // fit that answered them relayouted again and again (the huddle hung below about 540 px)
  let redraws = 0;
  gd.on('plotly_relayout', () => { redraws += 1; });
  Plotly.Plots.resize(gd).then(() => requestAnimationFrame(() => done(redraws)));
})"""


def _settled(page: Any) -> None:
    """Once drawn, a chart's own redraw is one relayout: nothing answers it with another."""
    for chart in page.locator("[data-chart]").all():
        assert chart.evaluate(_SETTLED) <= 1, chart.get_attribute("id")
