"""Organizers decide on flagged submissions; teams are not tipped off.

Flags (`podium.rules.flags`) are read here for organizers only: those intake wrote (sealed text,
identical archives, similar code) and a `lookup` flag for every run whose canaries gave the
verdict "suspect". A decision (`podium review`, the admin page, the API) is a row of
`reviews`, the audit trail; a disqualified submission leaves every board, the winners of its
stage (and the hall of fame) are recomputed, and its team hears the decision and its reason.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.core.errors import RuleError
from podium.rules.flags import DECISIONS, Flag, lookup_flags, sorted_flags
from podium.service.context import Competition
from podium.service.finals import Finals, ReviewNote
from podium.service.news import News
from podium.store.models import Review, Run, Stage, Submission, SubmissionFlag


@dataclass(frozen=True)
class ReviewInfo:
    """One decision, as the audit trail keeps it."""

    id: int
    submission_id: int
    team: str
    decision: str
    reason: str
    by: str
    created_at: datetime
    winners: tuple[str, ...] = ()  # the stage's winners after the decision, if it has any

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "submission": self.submission_id,
            "team": self.team,
            "decision": self.decision,
            "reason": self.reason,
            "by": self.by,
            "created_at": self.created_at.isoformat(),
            "winners": list(self.winners),
        }


class Reviews:
    """Flags for organizers and their decisions."""

    def __init__(self, competition: Competition, news: News, finals: Finals) -> None:
        self.c, self.news, self.finals = competition, news, finals

    def flags(self, ids: Collection[int] | None = None) -> dict[int, list[Flag]]:
        """Each flagged submission's flags (of `ids`, or all), in one read snapshot."""
        with self.c.sessions() as s:
            return flags_in(self.c, s, ids)

    def under_review(self) -> frozenset[int]:
        """Flagged submissions no organizer has decided on yet."""
        with self.c.sessions() as s:
            flagged = flags_in(self.c, s)
            decided = set(
                s.scalars(
                    self.c.scoped(
                        select(Submission.id).join(Stage).where(Submission.review.is_not(None))
                    )
                )
            )
        return frozenset(sub_id for sub_id in flagged if sub_id not in decided)

    def decide(self, submission_id: int, decision: str, reason: str, *, by: str) -> ReviewInfo:
        """Record `decision` ("clear" or "disqualify") with its reason; a disqualification
        (or its clearing) recomputes the winners of a stage already published."""
        if decision not in DECISIONS:
            raise RuleError(f"unknown decision {decision!r}", hint="--clear or --disqualify")
        reason = reason.strip()
        if decision == "disqualify" and not reason:
            raise RuleError(
                "a disqualification needs a reason", hint="--reason TEXT: the team is told it"
            )
        with self.c.sessions.begin() as s:
            sub = self.c.submission_row(s, submission_id)
            before, stage, team = sub.review, sub.stage.name, sub.team.name
            sub.review = DECISIONS[decision]
            row = Review(submission_id=sub.id, decision=sub.review, reason=reason, by=by[:200])
            s.add(row)
            s.flush()
            info = ReviewInfo(row.id, sub.id, team, row.decision, reason, row.by, row.created_at)
            if decision == "disqualify":
                text = (f"{team}: submission {sub.id} in stage {stage} is disqualified by the "
                        f"organizers: {reason}. It no longer appears on the leaderboard.")  # fmt: skip
                self.news.publish("disqualified", text, team=team, stage=stage,
                                  data={"submission_id": sub.id}, session=s)  # fmt: skip
        if "disqualified" in (before, sub.review):
            note = ReviewNote(info.id, info.submission_id, team, info.decision)
            winners = self.finals.recompute_winners(stage, note)
            return replace(info, winners=tuple(winners))
        return info

    def history(self, submission_id: int | None = None) -> list[ReviewInfo]:
        """The audit trail of decisions, oldest first."""
        with self.c.sessions() as s:
            query = self.c.scoped(select(Review, Submission).join(Submission).join(Stage))
            if submission_id is not None:
                query = query.where(Review.submission_id == submission_id)
            return [
                ReviewInfo(r.id, sub.id, sub.team.name, r.decision, r.reason, r.by, r.created_at)
                for r, sub in s.execute(query.order_by(Review.id))
            ]


def flags_in(
    c: Competition, s: Session, ids: Collection[int] | None = None
) -> dict[int, list[Flag]]:
    """Flags in `s`'s snapshot: stored ones, and `lookup` from the runs' integrity verdicts
    (read only where the store keeps them)."""
    found: dict[int, list[Flag]] = {}
    query = c.scoped(
        select(SubmissionFlag.submission_id, SubmissionFlag.kind, SubmissionFlag.detail)
        .join(Submission, SubmissionFlag.submission_id == Submission.id)
        .join(Stage)
        .order_by(SubmissionFlag.id)
    )
    if ids is not None:
        query = query.where(SubmissionFlag.submission_id.in_(list(ids)))
    for sub_id, kind, detail in s.execute(query):
        found.setdefault(sub_id, []).append({"kind": kind, **(detail or {})})
    integrity = getattr(Run, "integrity", None)  # the canaries' verdicts, where stored
    if integrity is not None:
        runs = c.scoped(
            select(Run.submission_id, Run.id, integrity)
            .join(Submission)
            .join(Stage)
            .where(integrity.is_not(None))
        )
        if ids is not None:
            runs = runs.where(Run.submission_id.in_(list(ids)))
        for sub_id, run_id, verdict in s.execute(runs):
            found.setdefault(sub_id, []).extend(lookup_flags([(run_id, verdict)]))
    return {sub_id: sorted_flags(flags) for sub_id, flags in found.items() if flags}
