"""A self-contained HTML report: leaderboards and three charts as inline SVG (works offline)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from podium.errors import RuleError
from podium.leaderboard import Leaderboard
from podium.report.charts import attempt_history

if TYPE_CHECKING:
    from podium.service import Podium

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7")
W, H, PAD = 560, 300, 48


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    if hi <= lo:
        hi = lo + 1.0
    k = (b - a) / (hi - lo)
    return k, a - k * lo


def _nice_range(values: list[float]) -> tuple[float, float]:
    """Score axis from a multiple of 10 below to one above (within 0-100)."""
    lo = max(0.0, (min(values) // 10) * 10 - (10 if min(values) % 10 < 2 else 0))
    hi = min(100.0, (max(values) // 10 + 1) * 10)
    return lo, max(hi, lo + 10)


def _spread(ys: dict[str, float], gap: float) -> dict[str, float]:
    """Move end-of-line labels apart so that close lines keep readable names."""
    out: dict[str, float] = {}
    last = float("-inf")
    for team, y in sorted(ys.items(), key=lambda item: item[1]):
        out[team] = max(y, last + gap)
        last = out[team]
    return out


def _frame(title: str, body: str, x_label: str, y_label: str) -> str:
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">'
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" class="axis"/>'
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD}" class="axis"/>'
        f'<text x="{(W + PAD) / 2}" y="{H - 8}" class="label">{escape(x_label)}</text>'
        f'<text x="14" y="{H / 2}" class="label" transform="rotate(-90 14 {H / 2})">'
        f"{escape(y_label)}</text>{body}</svg></figure>"
    )


def _y_ticks(lo: float, hi: float, k: float, c: float, fmt: str = "{:.0f}") -> str:
    out = []
    step = 10 if hi - lo <= 50 else 20
    for v in range(int(lo), int(hi) + 1, step):
        y = k * v + c
        out.append(
            f'<text x="{PAD - 6}" y="{y + 4:.1f}" class="tick">{fmt.format(v)}</text>'
            f'<line x1="{PAD}" y1="{y:.1f}" x2="{W - 10}" y2="{y:.1f}" class="grid"/>'
        )
    return "".join(out)


def score_history_chart(history: dict[str, list[tuple[int, float]]]) -> str:
    """Each team's overall score across its attempts."""
    points = [v for series in history.values() for _, v in series]
    if not points:
        return ""
    attempts = max(a for series in history.values() for a, _ in series)
    if attempts < 2:
        return ""  # one attempt each: the table says it all
    lo, hi = _nice_range(points)
    ky, cy = _scale(lo, hi, H - PAD, 10)
    kx, cx = _scale(1, max(2, attempts), PAD + 20, W - 120)
    body = [_y_ticks(lo, hi, ky, cy)]
    for a in range(1, attempts + 1):
        body.append(f'<text x="{kx * a + cx:.1f}" y="{H - PAD + 16}" class="tick mid">{a}</text>')
    label_y = _spread({team: ky * series[-1][1] + cy for team, series in history.items()}, 14)
    for i, (team, series) in enumerate(sorted(history.items())):
        coords = " ".join(f"{kx * a + cx:.1f},{ky * v + cy:.1f}" for a, v in series)
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{_colour(i)}" stroke-width="3"/>'
        )
        for a, v in series:
            body.append(
                f'<circle cx="{kx * a + cx:.1f}" cy="{ky * v + cy:.1f}" r="4" fill="{_colour(i)}">'
                f"<title>{escape(team)} attempt {a}: {v:.2f}</title></circle>"
            )
        a, v = series[-1]
        body.append(
            f'<text x="{kx * a + cx + 8:.1f}" y="{label_y[team] + 4:.1f}" class="legend" '
            f'fill="{_colour(i)}">{escape(team)}</text>'
        )
    return _frame("Overall score across attempts", "".join(body), "attempt", "overall score")


def duration_chart(board: Leaderboard) -> str:
    """Each team's test-phase duration (shorter is better)."""
    rows = sorted(board.rows, key=lambda r: r.duration)
    if not rows:
        return ""
    hi = max(r.duration for r in rows) * 1.15
    kx, cx = _scale(0, hi, PAD + 90, W - 20)
    band = (H - PAD - 20) / len(rows)
    body = []
    teams = sorted(r.team for r in board.rows)
    for j, row in enumerate(rows):
        y = 14 + j * band
        width = max(1.0, kx * row.duration + cx - (PAD + 90))
        colour = _colour(teams.index(row.team))
        body.append(
            f'<text x="{PAD + 84}" y="{y + band / 2 + 4:.1f}" class="tick">{escape(row.team)}</text>'
            f'<rect x="{PAD + 90}" y="{y + 3:.1f}" width="{width:.1f}" height="{band - 6:.1f}" '
            f'fill="{colour}" rx="3"><title>{escape(row.team)}: {row.duration:.3f} s</title></rect>'
            f'<text x="{PAD + 96 + width:.1f}" y="{y + band / 2 + 4:.1f}" class="legend">'
            f"{row.duration:.3f} s</text>"
        )
    return _frame("Test-phase duration (shorter is better)", "".join(body), "seconds", "")


def tradeoff_chart(board: Leaderboard) -> str:
    """Score versus duration: up and to the left is better."""
    rows = board.rows
    if not rows:
        return ""
    d_hi = max(r.duration for r in rows) * 1.15
    s_lo, s_hi = _nice_range([r.overall for r in rows])
    kx, cx = _scale(0, d_hi, PAD, W - 110)
    ky, cy = _scale(s_lo, s_hi, H - PAD, 10)
    body = [_y_ticks(s_lo, s_hi, ky, cy)]
    teams = sorted(r.team for r in rows)
    label_y = _spread({r.team: ky * r.overall + cy for r in rows}, 14)
    for row in rows:
        x, y = kx * row.duration + cx, ky * row.overall + cy
        colour = _colour(teams.index(row.team))
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="{colour}"><title>'
            f"{escape(row.team)}: {row.overall:.2f} points, {row.duration:.3f} s</title></circle>"
            f'<text x="{x + 10:.1f}" y="{label_y[row.team] + 4:.1f}" class="legend">{escape(row.team)} '
            f"(#{row.place})</text>"
        )
    return _frame("Score versus duration", "".join(body), "test-phase seconds", "overall score")


def _table(board: Leaderboard) -> str:
    tasks = list(board.metrics)
    head = "".join(f"<th>{escape(t)}</th>" for t in tasks)
    rows = []
    for r in board.rows:
        move = r.arrow
        cells = "".join(f"<td>{r.tasks.get(t, 0.0):.2f}</td>" for t in tasks)
        reasons = "<br>".join(escape(x) for x in r.reasons) or "–"
        rows.append(
            f"<tr><td>{r.place}</td><td class='move'>{move}</td><td>{escape(r.team)}</td>"
            f"<td><b>{r.overall:.2f}</b></td>{cells}<td>{r.duration:.3f}</td>"
            f"<td>{r.performance_place}</td><td class='why'>{reasons}</td></tr>"
        )
    return (
        f"<table><tr><th>place</th><th></th><th>team</th><th>overall</th>{head}"
        f"<th>duration s</th><th>perf. place</th><th>why</th></tr>{''.join(rows)}</table>"
    )


CSS = """body{font:16px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:2px solid #eee}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{padding:.4rem .6rem;text-align:right;
border-bottom:1px solid #eee}td:nth-child(3),th:nth-child(3),td.why,th:last-child{text-align:left}
td.why{color:#555;font-size:.9em}td.move{color:#2a7}.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{flex:1 1 480px;max-width:600px;margin:0}figcaption{font-weight:600;margin:.5rem 0}svg{width:100%;height:auto}
.axis{stroke:#999}.grid{stroke:#eee}.tick{font-size:11px;fill:#666;text-anchor:end}
.mid{text-anchor:middle}.label{font-size:12px;fill:#444;text-anchor:middle}.legend{font-size:12px}
.muted{color:#777}"""


def render_report(podium: Podium) -> str:
    sections = []
    for stage in podium.competition.spec.stages:
        try:
            board = podium.results.leaderboard(stage.name)
        except RuleError as err:
            sections.append(f"<h2>{escape(stage.name)}</h2><p class='muted'>{escape(err.what)}</p>")
            continue
        if not board.rows:
            continue
        hist = attempt_history(podium.results.stage_runs(stage.name), board.metrics)
        sections.append(
            f"<h2>Stage {escape(stage.name)} <span class='muted'>({escape(board.status)})</span></h2>"
            f"{_table(board)}<div class='charts'>{score_history_chart(hist)}"
            f"{duration_chart(board)}{tradeoff_chart(board)}</div>"
        )
    fame = "".join(
        f"<tr><td>{escape(e.competition_name)}</td><td>{escape(e.stage_name)}</td>"
        f"<td>{e.place}</td><td>{escape(e.team_name)}</td><td>{escape(e.members)}</td>"
        f"<td>{e.score:.2f}</td></tr>"
        for e in podium.finals.hall_of_fame()
    )
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{escape(podium.competition.spec.name)}"
        f"</title><style>{CSS}</style><h1>{escape(podium.competition.spec.name)}</h1>"
        f"<p class='muted'>Scores 0–100 (task = mean over languages, overall = mean of tasks); "
        f"duration = median wall time of the test phase on {escape(podium.competition.spec.hardware)!r}.</p>"
        f"{''.join(sections)}<h2>Hall of fame</h2><table><tr><th>competition</th><th>stage</th>"
        f"<th>place</th><th>team</th><th>members</th><th>overall</th></tr>{fame}</table></html>"
    )


def write_report(podium: Podium) -> Path:
    path = podium.competition.layout.report_file
    path.write_text(render_report(podium), encoding="utf-8")
    return path
