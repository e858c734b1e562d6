"""Stage endings: winners, the once-only final, the hall of fame, released code."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from podium.core.errors import NotFoundError, RuleError, SpecError
from podium.rules.closing import CloseReport, amended, close_report
from podium.rules.fame import fame_order
from podium.rules.leaderboard import Leaderboard, best_per_team
from podium.service.context import Competition
from podium.service.evaluation import Evaluation, Progress, RunOutcome
from podium.service.photo_finish import PhotoFinish
from podium.service.reads import FameEntry, fame_entry
from podium.service.results import Results
from podium.service.setup import Setup
from podium.service.submissions import Submissions
from podium.store.models import HallOfFameEntry, utcnow

HALL_OF_FAME_PLACES = 3
log = logging.getLogger("podium.finals")


class Finals:
    """Closing stages, running and revealing the final, and what they leave behind."""

    def __init__(
        self,
        competition: Competition,
        setup: Setup,
        submissions: Submissions,
        results: Results,
        evaluation: Evaluation,
        photo_finish: PhotoFinish,
    ) -> None:
        self.c, self.setup, self.submissions = competition, setup, submissions
        self.results, self.evaluation, self.photo_finish = results, evaluation, photo_finish

    def close_stage(
        self,
        name: str,
        *,
        publish: bool = True,
        remeasure_here: bool = True,
        progress: Progress | None = None,
    ) -> list[FameEntry]:
        """Close a stage and publish its results (`publish`: a server does that in its
        evaluator, not in the request). Publishing needs the evaluator: it is taken first,
        so a busy one refuses the close before anything changes."""
        if not publish:
            self._close(name)
            return []
        with self.evaluation.locked():
            self._close(name)
            return self.publish(name, remeasure=remeasure_here, progress=progress)

    def _close(self, name: str) -> None:
        with self.c.sessions.begin() as s:
            stage = self.c.stage_row(s, name)
            if stage.status != "open":
                raise RuleError(f"stage {name!r} is {stage.status}, not open")
            stage.status, stage.closed_at = "closed", utcnow()
            self.setup.news.stage_closed(s, name)

    def publish(
        self, name: str, *, remeasure: bool = True, progress: Progress | None = None
    ) -> list[FameEntry]:
        """A closed stage's results made final: its contested comparisons are re-measured
        (photo finish), what that did is stored and announced, then the winner enters the
        hall of fame if the spec says so."""
        declare = self.c.spec.stage(name).declare_winner
        report = self._made_final(name, remeasure, places=1 if declare else 0, progress=progress)
        winners = self._record_winners(name, places=1) if declare else []
        try:  # the results are final: news failing to be written must not undo that
            self.setup.news.stage_won(name, report)
        except Exception:
            log.exception("the news of stage %s's results could not be written", name)
        return winners

    def _made_final(
        self, name: str, remeasure: bool, *, places: int, progress: Progress | None
    ) -> CloseReport:
        """Photo finish, then the report of what it did, stored with the stage and shown."""
        before = self.results.leaderboard(name, organizer=True)
        notes: tuple[str, ...] = ()
        if remeasure:
            self.photo_finish.run(name, progress=progress)
            notes = tuple(n for n in (self.photo_finish.same, self.photo_finish.capped) if n)
        after = self.results.leaderboard(name, organizer=True)
        report = close_report(before, after, places, notes)
        with self.c.sessions.begin() as s:
            self.c.stage_row(s, name).close_report = report.to_dict()
        for line in report.lines():  # the server's log says it too (a scheduled close)
            log.info("stage %s: %s", name, line)
            if progress:
                progress(line)
        return report

    def close_report(self, name: str) -> CloseReport | None:
        """What publishing a stage's results did (None: not published yet)."""
        with self.c.sessions() as s:
            stored = self.c.stage_row(s, name).close_report
        return CloseReport.from_dict(stored) if stored else None

    def candidates(self) -> dict[str, int]:
        """Each team's selected submission, or its best scored evaluation submission."""
        runs = [
            facts
            for st in self.c.spec.stages
            if st.split == "eval"
            for facts in self.results.stage_runs(st.name)
        ]
        chosen = {
            team: facts.submission_id
            for team, (facts, _) in best_per_team(
                runs, self.c.metrics(), higher_is_better=self.c.higher_is_better()
            ).items()
        }
        for sub in self.submissions.find():
            if sub.selected_for_final and sub.review != "disqualified":
                chosen[sub.team] = sub.id
        return chosen

    def run(self, *, progress: Progress | None = None) -> list[RunOutcome]:
        """Run each team's chosen submission exactly once on the final set; results stay hidden."""
        final, _ = self.check_runnable()
        self.setup.open_stage(final, announce=False)
        candidates = self.candidates()  # read after the final opened: no choice comes later
        by_id = {sub.id: sub for sub in self.submissions.find()}
        for _, sub_id in sorted(candidates.items()):
            self.submissions.copy_for_final(by_id[sub_id], final)
        outcomes = self.evaluation.evaluate_pending(progress=progress, stage=final)
        with self.c.sessions.begin() as s:
            stage = self.c.stage_row(s, final)
            stage.status, stage.closed_at = "closed", utcnow()
        return outcomes

    def check_runnable(self) -> tuple[str, dict[str, int]]:
        """The final stage and each team's submission for it, or why the final cannot run
        now (a RuleError: the server answers 409 with it before starting anything)."""
        try:
            final = self.setup.final_stage()
        except SpecError as err:
            raise RuleError(err.what, where=err.where, hint=err.hint) from None
        with self.c.sessions.begin() as s:
            stage = self.c.stage_row(s, final)
            if stage.status != "pending":
                raise RuleError(f"the final stage {final!r} has already run ({stage.status})")
            self.setup.ensure_none_open(s)
        candidates = self.candidates()
        if not candidates:
            raise RuleError("no team has a scored submission to take to the final")
        return final, candidates

    def reveal(
        self, *, remeasure: bool = True, progress: Progress | None = None
    ) -> list[FameEntry]:
        """Show the final's results to everyone and enter its top three in the hall of fame,
        after a photo finish of its undecided moves."""
        final = self.check_revealable()
        with self.evaluation.locked():
            report = self._made_final(
                final, remeasure, places=HALL_OF_FAME_PLACES, progress=progress
            )
            with self.c.sessions.begin() as s:
                self.c.stage_row(s, final).revealed = True
            winners = self._record_winners(final, places=HALL_OF_FAME_PLACES)
        try:  # the final is revealed: news failing to be written must not undo that
            self.setup.news.final_revealed(
                [(w.place, w.team_name, w.score) for w in winners], report.changes
            )
        except Exception:
            log.exception("the news of the revealed final could not be written")
        return winners

    def check_revealable(self) -> str:
        """The final stage's name, or why it cannot be revealed now."""
        final = self.setup.final_stage()
        with self.c.sessions() as s:
            stage = self.c.stage_row(s, final)
            if stage.status != "closed":
                raise RuleError("the final has not run yet", hint="podium final run")
            if stage.revealed:
                raise RuleError("the final is already revealed")
        return final

    def hall_of_fame(self) -> list[FameEntry]:
        """Winners of every competition in this store: newest stage first, then by place."""
        with self.c.sessions() as s:
            return fame_order(fame_entry(e) for e in s.scalars(select(HallOfFameEntry)))

    def hall_of_fame_entry(self, entry_id: int) -> FameEntry:
        """One winner (of any competition in this store: the hall of fame is shared)."""
        with self.c.sessions() as s:
            entry = s.get(HallOfFameEntry, entry_id)
            if entry is None:
                raise NotFoundError(f"no hall-of-fame entry {entry_id}", hint="podium hall-of-fame")
            return fame_entry(entry)

    def export_code(self, stage: str, out: Path) -> list[Path]:
        """Every team's submitted code of a closed stage that releases code."""
        from podium.submission.archive import unpack

        if not self.c.spec.stage(stage).release_code:
            raise RuleError(f"stage {stage!r} does not release code (release_code = false)")
        with self.c.sessions() as s:
            if self.c.stage_row(s, stage).status != "closed":
                raise RuleError(f"stage {stage!r} releases code only once closed")
        written = []
        for sub in self.submissions.find():
            if sub.stage.name != stage or sub.attempt is None:  # None: cancelled, never run
                continue
            target = out / _safe_name(sub.team) / f"attempt-{sub.attempt}"
            unpack((self.c.root / sub.archive_path).read_bytes(), target)
            written.append(target)
        return written

    def recompute_winners(self, stage: str, review: ReviewNote | None = None) -> list[str]:
        """A stage's winners again, after a review took a submission off (or back on) its
        board: its hall-of-fame entries are replaced and its stored close report restated
        (with `review` as an amendment), in one transaction; a changed winner is announced.
        Nothing for a stage not yet published (its winners come at its close)."""
        spec = self.c.spec.stage(stage)
        final = spec.split == "final"
        with self.c.sessions() as s:
            row = self.c.stage_row(s, stage)
            published = row.close_report is not None and (row.revealed or not final)
        if not published:
            return []
        declares = final or spec.declare_winner
        places = (HALL_OF_FAME_PLACES if final else 1) if declares else 0
        board = self.results.leaderboard(stage, organizer=True)
        with self.c.sessions.begin() as s:
            row = self.c.stage_row(s, stage)
            if review is not None and row.close_report is not None:
                report = CloseReport.from_dict(row.close_report)
                row.close_report = amended(report, board, places, **vars(review)).to_dict()
            if not declares:
                return []
            old = s.scalars(
                select(HallOfFameEntry).where(
                    HallOfFameEntry.competition_name == self.c.spec.name,
                    HallOfFameEntry.stage_name == stage,
                )
            ).all()
            before = [e.team_name for e in sorted(old, key=lambda e: e.place)]
            for entry in old:
                s.delete(entry)
            s.flush()
            s.add_all(self._fame_rows(stage, board, places))
        after = [r.team for r in board.rows[:places]]
        if after != before:
            text = (
                f"After a review, the winner of stage {stage} is {after[0] if after else 'nobody'}."
            )
            self.setup.news.publish("winner_changed", text, stage=stage, data={"winners": after})
        return after

    def _fame_rows(self, stage: str, board: Leaderboard, places: int) -> list[HallOfFameEntry]:
        return [
            HallOfFameEntry(
                competition_name=self.c.spec.name,
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

    def _record_winners(self, stage: str, *, places: int) -> list[FameEntry]:
        board = self.results.leaderboard(stage, organizer=True)
        entries = self._fame_rows(stage, board, places)
        with self.c.sessions.begin() as s:
            s.add_all(entries)
            s.flush()
            return [fame_entry(e) for e in entries]


@dataclass(frozen=True)
class ReviewNote:
    """The review that made a stage's winners be recomputed (a close report's amendment)."""

    review: int
    submission: int
    team: str
    decision: str


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "team"
