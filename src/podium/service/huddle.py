"""The huddle view's data: each stage then and now, and the attempts made in between."""

from __future__ import annotations

from datetime import datetime

from podium.rules.huddle import StageChanges
from podium.service.boards import Boards


class Huddle:
    """What changed on a stage since a moment (pure diff in `podium.rules.huddle`), from the
    stage's cached board: the past board is the same runs, those finished by then."""

    def __init__(self, boards: Boards) -> None:
        self.boards = boards

    def stage(self, name: str, since: datetime) -> StageChanges:
        """The stage's board from the runs finished by `since` against today's, as
        organizers see it: callers decide who may see the stage."""
        return self.boards.changes(self.boards.board(name), since)
