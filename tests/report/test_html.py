"""The HTML report of a real small competition: one self-contained file that draws the
website's charts from the same data with the same plotly.js, offline."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from podium.cli.report import write_report
from podium.report.charts import chart_data, drawing_script, plotly_js
from podium.report.html import inline_script, script_json
from podium.service import Podium

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission
from ..patience import HANG_MS

pytestmark = pytest.mark.store  # the report of a competition evaluated in its store

CHROMIUM = Path("/usr/bin/chromium")
TEAMS = ("R&D <Lab>", "Quick Lex")  # a name that HTML and JSON must both escape


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append((dict(attrs), ""))
            self.in_script = True

    def handle_endtag(self, tag: str) -> None:
        self.in_script = self.in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self.in_script:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


@dataclass(frozen=True)
class Report:
    path: Path
    html: str = field(repr=False)  # plotly.js makes it 4.8 MB
    elements: Elements = field(repr=False)
    charts: dict[str, object]  # the evaluation stage's chart data, as the service gives it
    winner: str


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    """Two teams, three scored attempts, the evaluation stage closed (its winner enters the
    hall of fame) and the final pending, run by the subprocess runner."""
    tmp = tmp_path_factory.mktemp("report")
    root = tmp / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(
        SMALL_SPEC.format(timeout=RUN_LIMIT)
        + 'runner = "subprocess"\n[efficiency]\nphoto_finish_runs = 3\n'  # a quick close
    )
    submission = write_submission(tmp / "constant", CONSTANT_PREDICT)
    with Podium.open(root) as podium:
        podium.setup.prepare_data()
        for team in TEAMS:
            podium.setup.add_team(team, [f"{team} member"])
        podium.setup.open_stage("evaluation")
        for team in (TEAMS[0], TEAMS[1], TEAMS[0]):
            podium.submissions.submit(submission, team=team)
        outcomes = podium.evaluation.evaluate_pending()
        assert [o.status for o in outcomes] == ["scored"] * 3, [o.error for o in outcomes]
        podium.finals.close_stage("evaluation")
        board = podium.results.leaderboard("evaluation")
        charts = chart_data(board, podium.results.stage_runs("evaluation"))
        path = write_report(podium)
    html = path.read_text(encoding="utf-8")
    yield Report(path, html, parse(html), json.loads(json.dumps(charts)), board.rows[0].team)


def test_the_report_is_written_into_the_competition_folder(report: Report) -> None:
    assert report.path.name == "report.html" and report.path.parent.name == "cup"


def test_plotly_and_the_sites_drawing_script_are_inline(report: Report) -> None:
    scripts = report.elements.scripts
    code = [text for attrs, text in scripts if "type" not in attrs]
    assert code == [
        plotly_js().read_text(encoding="utf-8"),
        drawing_script().read_text(encoding="utf-8"),
    ]
    assert all("src" not in attrs for attrs, _ in scripts)


def test_the_charts_draw_the_same_data_as_the_website(report: Report) -> None:
    blocks = [
        json.loads(text)
        for attrs, text in report.elements.scripts
        if attrs.get("type") == "application/json"
    ]
    assert blocks == [report.charts]  # the final is pending: only the evaluation has charts
    teams = report.charts["teams"]
    assert isinstance(teams, list) and sorted(teams) == sorted(TEAMS)
    history = report.charts["history"]
    assert isinstance(history, dict) and [len(history[t]) for t in TEAMS] == [2, 1]
    sets = [attrs for tag, attrs in report.elements.tags if "data-chart" in attrs]
    assert [a["data-chart"] for a in sets] == ["history", "duration", "tradeoff"]


def test_every_team_is_in_the_tables_escaped(report: Report) -> None:
    for team in TEAMS:  # on the leaderboard, and the winner in the hall of fame
        assert report.html.count(f"<td>{escape(team)}</td>") == 1 + (team == report.winner)
    assert f"<td>{escape(report.winner)} member</td>" in report.html
    assert "<Lab>" not in report.html
    assert "Stage evaluation" in report.html and "(closed)" in report.html
    assert escape("the results of stage 'final' are hidden until revealed") in report.html


def test_nothing_is_loaded_from_anywhere_else(report: Report) -> None:
    tags = report.elements.tags
    linked = [(tag, a) for tag, a in tags if {"src", "href", "srcset", "data"} & set(a)]
    assert linked == []
    assert not {"link", "img", "iframe", "object", "embed", "base"} & {tag for tag, _ in tags}
    outside_code = re.sub(r"<script>.*?</script>", "", report.html, flags=re.DOTALL)
    assert "://" not in outside_code and "url(" not in outside_code


def test_data_and_code_cannot_end_their_script_element() -> None:
    text = script_json({"team": "</script><!-- & 'x'"})
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert json.loads(text) == {"team": "</script><!-- & 'x'"}
    code = inline_script("a = '</SCRIPT>'; b = /<!--/;")
    assert code == "a = '<\\/SCRIPT>'; b = /<\\x21--/;"


def test_chromium_draws_every_chart_from_the_file_alone(report: Report) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import Route, expect, sync_playwright

    asked: list[str] = []
    errors: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.route("**/*", offline)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(report.path.as_uri())
        expect(page.locator("body")).to_have_attribute("data-charts", "drawn", timeout=HANG_MS)
        for chart in ("history", "duration", "tradeoff"):
            expect(page.locator(f"[data-chart={chart}] .main-svg").first).to_be_visible()
        assert page.locator("[data-chart=duration] .bars .point").count() == len(TEAMS)
        assert page.locator("[data-chart=tradeoff] .scatterlayer .point").count() == len(TEAMS)
        browser.close()
    assert asked == [] and errors == []
