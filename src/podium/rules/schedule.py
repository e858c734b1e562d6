"""Stages that open and close on time: which transitions are due, and how long is left.

Pure: the stages' specs, their stored statuses and `now` in, a plan out. Only a pending stage
ever opens (a stage closed by hand stays closed at its `opens`), only an open one closes, and
at most one stage is open at a time, so a plan applied twice, or by two processes, changes
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from podium.config.spec import StageSpec

Action = Literal["open", "close"]


@dataclass(frozen=True)
class Transition:
    stage: str
    action: Action


@dataclass(frozen=True)
class Plan:
    """Transitions due now, in order; `waiting`: stages due to open that cannot yet, and why."""

    transitions: list[Transition] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)


def is_scheduled(stages: Sequence[StageSpec]) -> bool:
    return any(st.opens or st.closes for st in stages)


def plan(stages: Sequence[StageSpec], statuses: Mapping[str, str], now: datetime) -> Plan:
    """What must happen now: due closes first (they free the way), then due opens in stage
    order; a window wholly in the past opens and closes at once (its hooks still run)."""
    status = dict(statuses)
    out = Plan()
    for st in stages:
        if status.get(st.name) == "open" and st.closes is not None and now >= st.closes:
            out.transitions.append(Transition(st.name, "close"))
            status[st.name] = "closed"
    for st in stages:
        if status.get(st.name) != "pending" or st.opens is None or now < st.opens:
            continue
        already = [name for name, value in status.items() if value == "open"]
        if already:
            out.waiting[st.name] = f"stage {already[0]!r} is still open"
            continue
        out.transitions.append(Transition(st.name, "open"))
        status[st.name] = "open"
        if st.closes is not None and now >= st.closes:
            out.transitions.append(Transition(st.name, "close"))
            status[st.name] = "closed"
    return out


@dataclass(frozen=True)
class Countdown:
    """The next scheduled change of a stage: 'opens' or 'closes', at `at`."""

    verb: Literal["opens", "closes"]
    at: datetime

    def left(self, now: datetime) -> str:
        return duration_text(self.at - now)

    def text(self, now: datetime) -> str:
        return f"{self.verb} in {self.left(now)}"


def countdown(stage: StageSpec, status: str, now: datetime) -> Countdown | None:
    """The next change a pending or open stage awaits, if it is scheduled."""
    if status == "pending" and stage.opens is not None:
        return Countdown("opens", stage.opens)
    if status == "open" and stage.closes is not None:
        return Countdown("closes", stage.closes)
    return None


def duration_text(delta: timedelta) -> str:
    """'3 d 4 h', '2 h 5 min', '4 min 10 s', '9 s': the two largest units (0 s when past)."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s calendar day in UTC: where a day's attempts are counted from."""
    utc = now.astimezone(UTC)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


def next_day(now: datetime) -> datetime:
    """When attempts capped by `max_per_day` come back: the next midnight UTC."""
    return day_start(now) + timedelta(days=1)
