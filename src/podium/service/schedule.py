"""Stages opening and closing on time, through the same methods as `podium stage open/close`,
so whatever hooks those (winners, released code, notifications) runs for a scheduled change
too. Every CLI command, every submission and the server's ticker apply it; the store's single
writer makes each transition conditional on the stored status, so two processes applying it
at once open or close a stage once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from podium.core.errors import PodiumError, RuleError
from podium.rules import schedule
from podium.service.context import Competition
from podium.service.finals import Finals
from podium.service.setup import Setup
from podium.store.models import utcnow

log = logging.getLogger("podium.schedule")
Publish = Callable[[str], object]


@dataclass(frozen=True)
class StageTime:
    """A stage as the pages and `podium stage list` show it: status and the time left."""

    name: str
    status: str
    opens: datetime | None
    closes: datetime | None
    countdown: schedule.Countdown | None
    waiting: str | None


class Schedule:
    """Applies `podium.rules.schedule.plan` to the store."""

    def __init__(self, competition: Competition, setup: Setup, finals: Finals) -> None:
        self.c, self.setup, self.finals = competition, setup, finals
        self.clock: Callable[[], datetime] = utcnow

    def scheduled(self) -> bool:
        return schedule.is_scheduled(self.c.spec.stages)

    def statuses(self) -> dict[str, str]:
        return {st.name: st.status for st in self.setup.stages()}

    def apply(
        self, now: datetime | None = None, *, publish: Publish | None = None
    ) -> list[schedule.Transition]:
        """Make the due transitions; the ones this process made are returned (a stage this
        process closed is published by `publish`, default: here, without a photo finish)."""
        if not self.scheduled():
            return []
        now = now or self.clock()
        done: list[schedule.Transition] = []
        for step in schedule.plan(self.c.spec.stages, self.statuses(), now).transitions:
            try:
                changed = self._make(step, publish)
            except PodiumError as err:  # e.g. another stage opened by hand meanwhile
                log.warning("schedule: %s %s: %s", step.action, step.stage, err.message)
                continue
            if changed:
                log.info("schedule: stage %s %s", step.stage, step.action + "ed")
                done.append(step)
        return done

    def _make(self, step: schedule.Transition, publish: Publish | None) -> bool:
        if step.action == "open":
            return self.setup.open_stage(step.stage)
        try:
            self.finals.close_stage(step.stage, publish=False)
        except RuleError:
            if self.statuses().get(step.stage) == "closed":
                return False  # another process closed it first; it publishes
            raise
        if publish is None:
            self.finals.publish(step.stage, remeasure=False)
        else:
            publish(step.stage)
        return True

    def times(
        self, now: datetime | None = None, statuses: Mapping[str, str] | None = None
    ) -> list[StageTime]:
        """Every stage with its schedule and what it awaits next (`statuses`: the stages'
        as already read, e.g. with a cached board)."""
        now = now or self.clock()
        statuses = dict(statuses) if statuses is not None else self.statuses()
        waiting = schedule.plan(self.c.spec.stages, statuses, now).waiting
        return [
            StageTime(
                st.name,
                statuses.get(st.name, "pending"),
                st.opens,
                st.closes,
                schedule.countdown(st, statuses.get(st.name, "pending"), now),
                waiting.get(st.name),
            )
            for st in self.c.spec.stages
        ]
