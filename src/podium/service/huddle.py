"""The huddle view's data: each stage then and now, and the attempts made in between."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from podium.huddle import StageChanges, stage_changes
from podium.leaderboard import Leaderboard
from podium.service.results import Results
from podium.service.submissions import Submissions


class Huddle:
    """What changed on a stage since a moment (pure diff in `podium.huddle`)."""

    def __init__(self, results: Results, submissions: Submissions) -> None:
        self.results, self.submissions = results, submissions

    def stage(self, name: str, since: datetime, now: Leaderboard | None = None) -> StageChanges:
        """The stage's board from the runs finished by `since` against today's (`now`, if
        the caller has it), as organizers see it: callers decide who may see the stage."""
        before = self.results.leaderboard(name, organizer=True, until=since)
        now = now or self.results.leaderboard(name, organizer=True)
        attempts = Counter(
            sub.team.name
            for sub in self.submissions.find()
            if sub.stage.name == name and _aware(sub.created_at) >= since
        )
        return stage_changes(before, now, attempts, since)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
