"""What changed on a stage since a moment: new bests, moves and their reasons, attempts.

Pure: two leaderboards of the same stage (the one the runs stored up to `since` make, and
today's) and the attempts counted in the window. `parse_since` reads the window a person
types (`7d`, `24h`, `2026-11-01`, `2026-11-01T09:00+01:00`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from podium.core.errors import PodiumError
from podium.rules.leaderboard import Leaderboard

FORMS = "7d, 24h, 90m, 2026-11-01 or 2026-11-01T09:00+01:00"
MAX_DAYS = 3660  # ten years: any longer window is a typo, and timedelta would overflow
_PERIOD = re.compile(r"([0-9]+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class SinceError(PodiumError):
    """The window of the huddle view cannot be read (a 400: the asker's to fix)."""


def parse_since(text: str, now: datetime) -> datetime:
    """The moment `text` names, as an aware UTC datetime: a period back from `now` or a date
    (midnight UTC) or a date and time with its offset (none: UTC)."""
    value = text.strip()
    period = _PERIOD.fullmatch(value)
    if period:
        digits, unit = period[1], _UNITS[period[2]]
        span = timedelta(**{unit: int(digits)}) if len(digits) <= 7 else None
        if span is None or span > timedelta(days=MAX_DAYS):
            raise _bad(text, f"a window of at most {MAX_DAYS} days")
        return now.astimezone(UTC) - span
    # an unencoded `+` of an offset arrives in a query string as a space
    value = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", value)
    if len(value) > 40 or not re.fullmatch(r"[0-9T:+\-.Z ]+", value):
        raise _bad(text)
    try:
        moment = datetime.fromisoformat(value)
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # no such date, or before year 1 once in UTC
        raise _bad(text) from None
    if moment > now.astimezone(UTC):
        raise _bad(text, "a moment in the past")
    return moment


def _bad(text: str, wanted: str | None = None) -> SinceError:
    shown = text if len(text) <= 40 else text[:40] + "..."
    return SinceError(
        f"since={shown!r} is not {wanted or 'a period or a date'}",
        hint=f"write a period or a date: {FORMS}",
    )


@dataclass(frozen=True)
class TeamChange:
    """One team's stage in the window: its best then and now, its place then and now."""

    team: str
    place: int | None  # now (None: not ranked)
    place_before: int | None  # at `since` (None: not ranked then)
    best: float | None
    best_before: float | None
    new_best: bool  # its best run now is one it did not have at `since`
    attempts: int  # submissions made in the window
    reasons: tuple[str, ...]  # the re-ranking's reasons for its place now
    training_seconds: float | None = None  # billed training CPU time, where boards show it

    @property
    def moved(self) -> int:
        """Places gained (+) or lost (-) since; 0 for a team new to the board."""
        if self.place is None or self.place_before is None:
            return 0
        return self.place_before - self.place

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "moved": self.moved}


@dataclass(frozen=True)
class StageChanges:
    stage: str
    since: datetime
    teams: tuple[TeamChange, ...]  # today's order, then teams without a place

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "since": self.since.isoformat(),
            "teams": [t.to_dict() for t in self.teams],
        }


def stage_changes(
    before: Leaderboard, now: Leaderboard, attempts: Mapping[str, int], since: datetime
) -> StageChanges:
    """The difference of two leaderboards of one stage, team by team."""
    then = {r.team: r for r in before.rows}
    teams = []
    for row in now.rows:
        old = then.get(row.team)
        teams.append(
            TeamChange(
                team=row.team,
                place=row.place,
                place_before=old.place if old else None,
                best=row.overall,
                best_before=old.overall if old else None,
                new_best=old is None or old.run_id != row.run_id,
                attempts=attempts.get(row.team, 0),
                reasons=row.reasons,
                training_seconds=row.training_seconds,
            )
        )
    ranked = {r.team for r in now.rows}
    for team in sorted(set(attempts) - ranked):
        if attempts[team]:
            teams.append(TeamChange(team, None, None, None, None, False, attempts[team], ()))
    return StageChanges(now.stage, since, tuple(teams))
