"""`podium stage list`: each stage, its schedule and the time left, within 80 columns."""

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from podium.cli.inert import inert
from podium.cli.options import CompetitionOpt, JsonOpt, console, emit_json, shown

if TYPE_CHECKING:
    from podium.service import Podium
    from podium.service.schedule import StageTime


def stage_list(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """List stages: status, attempts, schedule and the time left."""
    shown(competition, ["stage list", json_out], lambda podium: _show(podium, json_out),
          timeless=False)  # fmt: skip


def _show(podium: "Podium", json_out: bool) -> None:
    now = podium.schedule.clock()
    rows, revealed = (
        podium.schedule.times(now),
        {st.name: st.revealed for st in podium.setup.stages()},
    )
    specs = {st.name: st for st in podium.competition.spec.stages}
    if json_out:
        emit_json([_record(row, now) for row in rows])
        return
    out = console()
    for row in rows:
        spec = specs[row.name]
        per_day = f" ({spec.max_per_day} a day)" if spec.max_per_day else ""
        shown = " (revealed)" if revealed.get(row.name) else ""
        out.print(
            f"{inert(row.name)}: {row.status}{shown}; split {spec.split}, {spec.attempts} "
            f"attempt(s){per_day}, leaderboard {spec.leaderboard}",
            highlight=False,
        )
        for line in _schedule_lines(row, now):
            out.print(f"  {line}", highlight=False)


def _schedule_lines(row: "StageTime", now: datetime) -> list[str]:
    lines = []
    if row.opens or row.closes:
        span = f"{_when(row.opens)} → {_when(row.closes)}"
        lines.append(f"scheduled {span}")
    if row.countdown is not None:
        lines.append(f"{row.countdown.text(now)} ({_when(row.countdown.at)})")
    if row.waiting:
        lines.append(f"due to open, waiting: {row.waiting}")
    return lines


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _record(row: "StageTime", now: datetime) -> dict[str, object]:
    return {
        "stage": row.name,
        "status": row.status,
        "opens": row.opens.isoformat() if row.opens else None,
        "closes": row.closes.isoformat() if row.closes else None,
        "next": row.countdown.verb if row.countdown else None,
        "seconds_left": (
            max(0, int((row.countdown.at - now).total_seconds())) if row.countdown else None
        ),
        "waiting": row.waiting,
    }
