"""Closing stages, the final, the hall of fame and code release."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from podium.errors import NotFoundError, RuleError, SpecError
from podium.leaderboard import best_per_team
from podium.runqueue import EvaluationQueue, Progress, RunOutcome
from podium.store.models import (
    HallOfFameEntry,
    Stage,
    Submission,
    utcnow,
)
from podium.submission.archive import unpack

HALL_OF_FAME_PLACES = 3


class Finals(EvaluationQueue):
    """Stage endings: winners, the once-only final, released code."""

    def close_stage(self, name: str) -> list[HallOfFameEntry]:
        """Close a stage; declare its winner to the hall of fame if the spec says so."""
        with self.sessions.begin() as s:
            stage = self._stage(s, name)
            if stage.status != "open":
                raise RuleError(f"stage {name!r} is {stage.status}, not open")
            stage.status, stage.closed_at = "closed", utcnow()
        if self.spec.stage(name).declare_winner:
            return self._record_winners(name, places=1)
        return []

    def _final_stage(self) -> str:
        for stage in self.spec.stages:
            if stage.split == "final":
                return stage.name
        raise SpecError(
            'the competition has no stage with split = "final"', where=str(self.layout.spec_file)
        )

    def select_for_final(self, team: str, submission_id: int) -> None:
        with self.sessions.begin() as s:
            team_row = self._team(s, team)
            sub = s.get(Submission, submission_id)
            if sub is None or sub.team_id != team_row.id or sub.stage.split == "final":
                raise NotFoundError(f"team {team!r} has no evaluation submission {submission_id}")
            if sub.status != "scored":
                raise RuleError(f"submission {submission_id} is {sub.status}; select a scored one")
            for other in s.scalars(select(Submission).where(Submission.team_id == team_row.id)):
                other.selected_for_final = other.id == submission_id

    def final_candidates(self) -> dict[str, int]:
        """Each team's selected submission, or its best scored evaluation submission."""
        chosen: dict[str, int] = {}
        runs = [
            f for st in self.spec.stages if st.split == "eval" for f in self.stage_runs(st.name)
        ]
        for team, (facts, _) in best_per_team(runs, self.metrics()).items():
            chosen[team] = facts.submission_id
        for sub in self.submissions():
            if sub.selected_for_final:
                chosen[sub.team.name] = sub.id
        return chosen

    def run_final(self, *, progress: Progress | None = None) -> list[RunOutcome]:
        """Run each team's chosen submission exactly once on the final set; results stay hidden."""
        final = self._final_stage()
        with self.sessions.begin() as s:
            stage = self._stage(s, final)
            if stage.status != "pending":
                raise RuleError(f"the final stage {final!r} has already run ({stage.status})")
            for other in s.scalars(
                select(Stage).where(
                    Stage.competition_id == self._competition_id, Stage.status == "open"
                )
            ):
                raise RuleError(
                    f"stage {other.name!r} is still open",
                    hint=f"close it first: podium stage close {other.name}",
                )
        candidates = self.final_candidates()
        if not candidates:
            raise RuleError("no team has a scored submission to take to the final")
        self.open_stage(final)
        by_id = {sub.id: sub for sub in self.submissions()}
        for team, sub_id in sorted(candidates.items()):
            src = by_id[sub_id]
            data = (self.root / src.archive_path).read_bytes()
            self._reserve(
                data,
                team=team,
                stage_name=final,
                label=f"final of #{sub_id}",
                source_submission_id=sub_id,
            )
        outcomes = self.evaluate_pending(progress=progress, stage=final)
        with self.sessions.begin() as s:
            stage = self._stage(s, final)
            stage.status, stage.closed_at = "closed", utcnow()
        return outcomes

    def reveal_final(self) -> list[HallOfFameEntry]:
        final = self._final_stage()
        with self.sessions.begin() as s:
            stage = self._stage(s, final)
            if stage.status != "closed":
                raise RuleError("the final has not run yet", hint="podium final run")
            if stage.revealed:
                raise RuleError("the final is already revealed")
            stage.revealed = True
        return self._record_winners(final, places=HALL_OF_FAME_PLACES)

    def _record_winners(self, stage: str, *, places: int) -> list[HallOfFameEntry]:
        board = self.leaderboard(stage, organizer=True)
        entries = [
            HallOfFameEntry(
                competition_name=self.spec.name,
                stage_name=stage,
                place=row.place,
                team_name=row.team,
                members=", ".join(row.members),
                score=row.overall,
                duration_seconds=row.duration,
                run_id=row.run_id,
            )
            for row in board.rows[:places]
        ]
        with self.sessions.begin() as s:
            for entry in entries:
                s.add(entry)
        return entries

    def hall_of_fame(self) -> list[HallOfFameEntry]:
        """Winners of every competition in this store."""
        with self.sessions() as s:
            return list(
                s.scalars(
                    select(HallOfFameEntry).order_by(
                        HallOfFameEntry.recorded_at, HallOfFameEntry.place
                    )
                )
            )

    def export_code(self, stage: str, out: Path) -> list[Path]:
        """Every team's submitted code of a closed stage that releases code."""
        if not self.spec.stage(stage).release_code:
            raise RuleError(f"stage {stage!r} does not release code (release_code = false)")
        with self.sessions() as s:
            if self._stage(s, stage).status != "closed":
                raise RuleError(f"stage {stage!r} releases code only once closed")
        written = []
        for sub in self.submissions():
            if sub.stage.name != stage:
                continue
            target = out / _safe_name(sub.team.name) / f"attempt-{sub.attempt}"
            unpack((self.root / sub.archive_path).read_bytes(), target)
            written.append(target)
        return written


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "team"
