"""Boards computed once per change: a stage's leaderboard, its charts, the huddle's past boards
and the hall of fame, each read in one snapshot and kept until the store's board revision
moves (`store/revision.py`). A request costs one read of that number while nothing changed;
the first request after a scored run, a closed stage or a reveal sees it, in whichever
process the change was made. Who may see a board is decided by the caller on every read,
never by what the cache holds."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.rules.fame import fame_order
from podium.rules.huddle import StageChanges, stage_changes
from podium.rules.leaderboard import Leaderboard, RunFacts, Timing
from podium.service.context import Competition
from podium.service.reads import FameEntry, StageState, fame_entry, stage_state
from podium.service.results import Results
from podium.store import revision
from podium.store.models import HallOfFameEntry, Run, Stage, Submission, Team

PAST_BOARDS = 64  # past boards kept per revision (the huddle's windows people ask for)


@dataclass(frozen=True)
class Board:
    """A stage's board as organizers see it, and what the huddle needs to go back in time,
    all from one snapshot at `revision`."""

    revision: int
    stage: StageState
    leaderboard: Leaderboard
    charts: dict[str, Any]
    json: bytes
    runs: tuple[RunFacts, ...]
    finished: Mapping[int, datetime]  # run id -> when it finished (UTC)
    attempts: tuple[tuple[str, datetime], ...]  # (team, submitted at) of each one that counts
    teams: tuple[str, ...]
    timing: Timing
    stages: tuple[StageState, ...]  # every stage as it stood in this snapshot
    training: Mapping[str, float] | None = None  # billed training CPU s per team, if shown


class Boards:
    """The cache of boards of one process, checked against the store's revision per read."""

    def __init__(self, competition: Competition, results: Results) -> None:
        self.c, self.results = competition, results
        self._lock = threading.Lock()
        self._computing: dict[object, threading.Lock] = {}
        self._boards: dict[str | None, Board] = {}
        self._past: dict[tuple[int, str, frozenset[int]], Leaderboard] = {}
        self._fame: tuple[int, tuple[FameEntry, ...]] | None = None
        self._names = frozenset(st.name for st in competition.spec.stages)

    def revision(self) -> int:
        """The store's board revision (one small read, no ORM session)."""
        return int(self.c.sessions.value(revision.SQL) or 0)

    def board(self, stage: str | None = None) -> Board:
        """The stage's board (the open or latest stage by default), computed once per
        revision; concurrent readers of a stale board wait for one computation."""
        if stage is not None and stage not in self._names:
            return self._read_board(stage)  # NotFoundError: nothing kept for a stray name
        now = self.revision()
        hit = self._boards.get(stage)
        if hit is not None and hit.revision >= now:
            return hit
        with self._computation(("board", stage)):
            hit = self._boards.get(stage)
            if hit is not None and hit.revision >= now:
                return hit
            board = self._read_board(stage)
            self._boards[stage] = board
            return board

    def stages(self) -> tuple[StageState, ...]:
        """Every stage in the spec's order, as the latest board read them (or read now)."""
        now = self.revision()
        for board in list(self._boards.values()):
            if board.revision >= now:
                return board.stages
        with self.c.sessions() as s:
            return self._stages(s)

    def changes(self, board: Board, since: datetime) -> StageChanges:
        """What changed on the board's stage since `since`: the board the runs finished by
        then made (computed once per revision and set of runs), against today's."""
        included = frozenset(run for run, at in board.finished.items() if at <= since)
        key = (board.revision, board.stage.name, included)
        before = self._past.get(key)
        if before is None:
            runs = [r for r in board.runs if r.run_id in included]
            before = self.results.board_of(
                board.stage.name, board.stage.status, runs, list(board.teams), board.timing,
                training=board.training,  # billed now: a tie-break orders then as now
            )  # fmt: skip
            with self._lock:
                if len(self._past) >= PAST_BOARDS:
                    self._past.clear()
                self._past[key] = before
        attempts = Counter(team for team, at in board.attempts if at >= since)
        return stage_changes(before, board.leaderboard, attempts, since)

    def hall_of_fame(self) -> tuple[FameEntry, ...]:
        """Winners of every competition in this store: newest stage first, then by place."""
        now = self.revision()
        cached = self._fame
        if cached is not None and cached[0] >= now:
            return cached[1]
        with self.c.sessions() as s:
            at = revision.current(s)
            entries = tuple(fame_order(fame_entry(e) for e in s.scalars(select(HallOfFameEntry))))
        self._fame = (at, entries)
        return entries

    def _computation(self, key: object) -> threading.Lock:
        with self._lock:
            return self._computing.setdefault(key, threading.Lock())

    def _read_board(self, stage: str | None) -> Board:
        """Everything a board shows, in one read snapshot."""
        from podium.report.charts import chart_data

        with self.c.sessions() as s:
            at = revision.current(s)
            name = stage or self.results.shown_stage(s)
            row = self.c.stage_row(s, name)
            runs = self.results.stage_runs_in(s, name)
            teams = tuple(s.scalars(self.c.scoped(select(Team.name), via=Team).order_by(Team.id)))
            timing = self.results.timing_in(s)
            finished = {
                run_id: aware(moment)
                for run_id, moment in s.execute(
                    select(Run.id, Run.finished_at).where(Run.id.in_([r.run_id for r in runs]))
                )
                if moment is not None
            }
            attempts = tuple(
                (team, aware(created))
                for team, created in s.execute(
                    select(Team.name, Submission.created_at)
                    .join(Team, Submission.team_id == Team.id)
                    .where(Submission.stage_id == row.id, Submission.status != "cancelled")
                )
            )
            stages = self._stages(s)
            training = self.results.training_in(s)
        board = self.results.board_of(
            name, row.status, runs, list(teams), timing, closing=row.close_report,
            training=training,
        )  # fmt: skip
        state = next(st for st in stages if st.name == name)
        return Board(
            revision=at,
            stage=state,
            leaderboard=board,
            charts=chart_data(board, runs),
            json=json.dumps(board.to_dict()).encode(),
            runs=tuple(runs),
            finished=finished,
            attempts=attempts,
            teams=teams,
            timing=timing,
            stages=stages,
            training=training,
        )

    def _stages(self, s: Session) -> tuple[StageState, ...]:
        rows = s.scalars(self.c.scoped(select(Stage)).order_by(Stage.position))
        return tuple(stage_state(self.c, row) for row in rows)


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
