"""The reference clock of this competition's hardware label: a fixed workload timed when an
evaluator starts working and every `[efficiency] reference_every` runs."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from podium.service.context import Competition
from podium.store.models import ReferenceTiming, Run, Stage, Submission

if TYPE_CHECKING:
    from podium.harness.runner import Runner


@dataclass(frozen=True)
class Drift:
    latest: float
    median: float
    ratio: float  # latest / median
    flagged: bool
    message: str


class ReferenceClock:
    """Times, keeps and reads the reference workload of one hardware label."""

    def __init__(self, competition: Competition) -> None:
        self.c = competition
        self._timed_here = False

    def due(self) -> bool:
        """When this evaluator starts working, and every `reference_every` runs."""
        every = self.c.spec.efficiency.reference_every
        if every == 0:
            return False
        if not self._timed_here:
            return True
        timings = self.timings()
        if not timings:
            return True
        with self.c.sessions() as s:
            since = s.scalar(
                self.c.scoped(
                    select(func.count(Run.id))
                    .join(Submission)
                    .join(Stage)
                    .where(Run.started_at > timings[-1].created_at)
                )
            )
        return (since or 0) >= every

    def time(self, runner: Runner, name: str) -> ReferenceTiming:
        """Time the workload here, as submissions are timed, and keep the result."""
        from podium.harness.evaluate import sandbox_limits
        from podium.harness.fingerprint import machine_fingerprint
        from podium.harness.reference import time_reference

        wall = time_reference(runner, sandbox_limits(self.c.spec.sandbox), f"{name}reference")
        self._timed_here = True
        row = ReferenceTiming(
            competition_id=self.c.id,
            hardware=self.c.spec.hardware,
            fingerprint=machine_fingerprint(self.c.spec_hash),
            wall_seconds=wall,
        )
        with self.c.sessions.begin() as s:
            s.add(row)
        return row

    def timings(self, s: Session | None = None) -> list[ReferenceTiming]:
        """This hardware label's reference timings, oldest first (in `s`'s snapshot)."""
        if s is None:
            with self.c.sessions() as own:
                return self.timings(own)
        query = self.c.scoped(
            select(ReferenceTiming).where(ReferenceTiming.hardware == self.c.spec.hardware),
            via=ReferenceTiming,
        )
        return list(s.scalars(query.order_by(ReferenceTiming.id)))

    def seconds(self, s: Session | None = None) -> float | None:
        """The reference duration durations are read against (the median of its timings)."""
        timings = self.timings(s)
        return statistics.median(t.wall_seconds for t in timings) if timings else None

    def drift(self, sigma: float) -> Drift | None:
        """The latest timing against the median of the earlier ones; flagged beyond 3 sigma
        of the calibrated (or assumed) run-to-run noise."""
        timings = self.timings()
        if len(timings) < 3:
            return None
        latest = timings[-1].wall_seconds
        median = statistics.median(t.wall_seconds for t in timings[:-1])
        ratio = latest / median
        flagged = abs(math.log(ratio)) > 3 * sigma
        message = (
            f"the reference workload on {self.c.spec.hardware!r} took {latest:.3f} s, "
            f"{ratio - 1:+.1%} against its median {median:.3f} s"
            + (" — beyond the calibrated noise: the machine may have changed" if flagged else "")
        )
        return Drift(latest, median, ratio, flagged, message)
