"""The charts as Chromium draws them from the report: interval whiskers, a log axis when the
durations call for one, the Pareto front marked, and no label cut off at the plot's edge
for boards whose teams sit at the extremes (the fastest with the lowest score, the slowest
with the highest, long names at both ends)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from podium.report.charts import chart_data
from podium.report.html import StageReport, render_report
from podium.rules.leaderboard import BoardSettings, Leaderboard, RunFacts, build_leaderboard
from podium.rules.ranking import RerankRule

from ..chart_labels import measure
from ..patience import HANG_MS, scaled
from .test_charts import METRICS, facts

CHROMIUM = Path("/usr/bin/chromium")
FASTEST = "Zero-Latency Lookup Table Collective of the North"
SLOWEST = "The Extremely Thorough Ensemble of Absolutely Everything"

# (team, score of both tasks, wall seconds of its repeats)
BOARDS: dict[str, Sequence[tuple[str, float, Sequence[float]]]] = {
    # 2000x between the fastest and the slowest: a log axis
    "log": [
        (FASTEST, 30.0, [0.02, 0.021, 0.019]),
        ("R&D <Lab>", 60.0, [1.0, 1.2, 0.9, 1.1, 1.0, 1.05]),
        ("Mid", 70.0, [3.0, 3.3]),
        ("Beaten", 55.0, [5.0]),
        (SLOWEST, 95.0, [40.0, 44.0, 39.0]),
    ],
    # 8x: a linear axis, names at both ends
    "linear": [
        (FASTEST, 40.0, [0.5, 0.55, 0.45]),
        ("Twin A", 70.0, [2.0, 2.1]),
        ("Twin B", 70.0, [2.0, 2.1]),
        (SLOWEST, 90.0, [4.0, 4.4, 3.8]),
    ],
    "one team": [(SLOWEST, 88.0, [2.0, 2.2, 1.9])],
    # plotly hides the tick label at the axis' end (0.0575): hidden, it is not cut off
    "one fast team": [("Deep Percept", 50.0, [0.05335, 0.055, 0.0572])],
}


def board_of(runs: Sequence[RunFacts]) -> Leaderboard:
    return build_leaderboard(
        BoardSettings(competition="cup", metrics=METRICS, hardware="ref-cpu", rule=RerankRule()),
        stage="evaluation",
        status="open",
        runs=runs,
        teams=[r.team for r in runs],
    )


@dataclass(frozen=True)
class Drawn:
    page: Any
    sets: dict[str, Any]  # board name -> the locator of its stage's charts
    charts: dict[str, dict[str, Any]]  # board name -> the chart data the page drew from


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def draw(
    browser: Any, tmp: Path, names: Sequence[str], width: int = 1366, within: int = HANG_MS
) -> Drawn:
    """The boards `names`, each a stage of one report (as a report's stages are drawn side by
    side), loaded once: a report carries plotly.js, a second of the browser's time each."""
    from playwright.sync_api import expect

    stages, charts = [], {}
    for name in names:
        runs = tuple(
            facts(team, 1, i + 1, score, score, walls)
            for i, (team, score, walls) in enumerate(BOARDS[name])
        )
        board = board_of(runs)
        stages.append(StageReport(name, board, runs))
        charts[name] = chart_data(board, runs)
    path = tmp / f"{'+'.join(names).replace(' ', '-')}-{width}.html"
    path.write_text(render_report("cup", "ref-cpu", stages, []), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(path.as_uri(), timeout=within)  # a drawing that hangs holds back the load
    expect(page.locator("body")).to_have_attribute("data-charts", "drawn", timeout=within)
    assert errors == []
    sets = page.locator("[data-chart-set]")
    assert sets.count() == len(names)
    return Drawn(page, {name: sets.nth(i) for i, name in enumerate(names)}, charts)


@pytest.mark.parametrize("width", [1366, 700])
def test_no_label_is_cut_off_at_the_edge(browser: Any, tmp_path: Path, width: int) -> None:
    drawn = draw(browser, tmp_path, list(BOARDS), width)
    for name, charts in drawn.sets.items():
        tradeoff = measure(charts, "[data-chart=tradeoff]")
        teams = sorted(t for t, _, _ in BOARDS[name])
        assert tradeoff.label_texts() == teams, name  # "<Lab>" is text
        assert tradeoff.labels_outside_area() == [], name
        for chart in ("history", "duration", "tradeoff"):  # names on the bars' axis included
            assert measure(charts, f"[data-chart={chart}]").ticks_outside_svg() == [], name
        duration = measure(charts, "[data-chart=duration]")
        assert duration.label_texts() == sorted(drawn.charts[name]["duration_text"]), name
        assert duration.labels_outside_area() == [], name
        lines = {t.replace(" ", "") for t, _ in duration.ticks}  # a wrapped name's lines
        assert {t.replace(" ", "") for t in teams} <= lines, name
    if width == 1366:
        drawn.page.screenshot(path=str(tmp_path / "boards.png"), full_page=True)
    drawn.page.close()


def test_bars_have_interval_whiskers_and_a_log_axis_when_asked(
    browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    drawn = draw(browser, tmp_path, ["log", "linear"])
    for name, axis in (("log", "log"), ("linear", "linear")):
        charts, data = drawn.sets[name], drawn.charts[name]
        duration = charts.locator("[data-chart=duration]")
        assert data["log_duration_axis"] is (axis == "log")
        for chart in ("duration", "tradeoff"):
            assert (
                charts.locator(f"[data-chart={chart}]").evaluate(
                    "(gd) => gd._fullLayout.xaxis.type"
                )
                == axis
            )
        teams = len(BOARDS[name])
        assert duration.locator(".bars .point").count() == teams
        assert duration.locator(".errorbar").count() == teams
        # the whiskers span the interval the data gives, fastest bar first
        bars = duration.evaluate(
            "(gd) => { const t = gd.data[0]; return [t.y, t.error_x.arrayminus, t.error_x.array]; }"
        )
        order = sorted(range(teams), key=lambda i: data["duration"][i])
        # names are text to plotly (escaped), long ones wrapped onto lines
        assert [unescape(y.replace("<br>", " ")) for y in bars[0]] == [
            data["teams"][i] for i in order
        ]
        for got_low, got_high, i in zip(bars[1], bars[2], order, strict=True):
            assert got_low == pytest.approx(data["duration"][i] - data["duration_low"][i])
            assert got_high == pytest.approx(data["duration_high"][i] - data["duration"][i])
        # hovering a bar says what its whiskers cover
        fastest = order[0]
        duration.evaluate("(gd) => Plotly.Fx.hover(gd, [{curveNumber: 0, pointNumber: 0}])")
        expect(duration.locator(".hoverlayer .hovertext")).to_contain_text(
            data["duration_title"][fastest]
        )
    drawn.page.close()


def test_the_pareto_front_is_marked_and_joined_fastest_first(browser: Any, tmp_path: Path) -> None:
    drawn = draw(browser, tmp_path, ["log"])
    data = drawn.charts["log"]
    front = data["pareto"]
    assert front == [FASTEST, "R&D <Lab>", "Mid", SLOWEST]  # Beaten: Mid is better and faster
    traces = drawn.page.locator("[data-chart=tradeoff]").evaluate(
        "(gd) => gd._fullData.map((t) => [t.mode, t.marker ? t.marker.symbol : null, t.x])"
    )
    line = [x for mode, _, x in traces if mode == "lines"]
    assert line == [[data["duration"][data["teams"].index(t)] for t in front]]
    symbols = [symbol for mode, symbol, _ in traces if mode == "markers+text"]
    assert symbols.count("diamond") == len(front) and symbols.count("circle") == 1
    # the same captions as the data, above each chart
    captions = drawn.page.locator("figcaption").all_inner_texts()
    assert captions == [data["captions"][c] for c in ("history", "duration", "tradeoff")]
    drawn.page.close()


def test_a_plot_too_small_for_its_labels_is_drawn_all_the_same(
    browser: Any, tmp_path: Path
) -> None:
    """A 200 px page leaves plots narrower than the labels beside their points: no range puts
    them inside, and the fitting stops (it widened a log axis to 10^2874 and plotly drew
    ticks without end: a phone's huddle never loaded). Drawn within 5 s on a quiet machine."""
    drawn = draw(browser, tmp_path, ["log"], width=200, within=int(1000 * scaled(5.0)))
    for chart in ("duration", "tradeoff"):
        ranges = drawn.page.locator(f"[data-chart={chart}]").evaluate(
            "(gd) => [gd.layout.xaxis.range, gd._fullLayout.xaxis._vals.length]"
        )
        (low, high), ticks = ranges
        assert high - low < 20 and ticks < 40, (chart, ranges)  # decades and ticks, bounded
    drawn.page.close()
