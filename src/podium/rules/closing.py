"""What a close did: the board before and after its photo finish, compared (pure).

A close re-measures the contested comparisons of a board (`podium.rules.ranking.contested`), then
makes the board final. People must be able to see what that changed and why: which teams
were re-measured and how often, each contested pair's interval before and after, every
place, bonus or winner that changed (with the reasons of the final board), and what stayed
unsure (decided by the timing-free rule). The same report is printed by the CLI, stored with
the stage, shown on the final board and summed up in the news. A review after the close that
takes a submission off the board (or puts it back) restates the report's winners and adds an
amendment naming the review (its reason stays in the audit trail, `reviews`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from podium.rules.leaderboard import Leaderboard

__all__ = ["Amendment", "CloseReport", "PairReport", "amended", "close_report"]


@dataclass(frozen=True)
class PairReport:
    """One contested comparison: what the rule knew before and after the re-measurements."""

    kind: str  # tie | efficiency | move (podium.rules.ranking.Contest)
    ahead: str
    behind: str
    before: str
    after: str
    sure: bool  # decided by the measurements now (False: the timing-free rule decides)


@dataclass(frozen=True)
class Amendment:
    """A review after the close: the submission it took off the board (or put back) and the
    winners before and after it."""

    review: int
    submission: int
    team: str
    decision: str  # disqualified | cleared
    winners_before: tuple[str, ...]
    winners_after: tuple[str, ...]

    def line(self) -> str:
        what = "disqualified" if self.decision == "disqualified" else "reinstated"
        text = (
            f"after the close, review #{self.review}: submission {self.submission} of "
            f"{self.team} {what}"
        )
        if self.winners_before[:1] != self.winners_after[:1]:
            now = self.winners_after[0] if self.winners_after else "nobody"
            was = self.winners_before[0] if self.winners_before else "nobody"
            text += f"; the winner is {now}, not {was}"
        return text


@dataclass(frozen=True)
class CloseReport:
    stage: str
    remeasured: tuple[tuple[str, int], ...] = ()  # (team, re-measurement runs added)
    pairs: tuple[PairReport, ...] = ()
    changes: tuple[str, ...] = ()  # every changed place, bonus or winner, with why
    winners: tuple[tuple[int, str, float], ...] = ()  # (place, team, score)
    budget: str = ""  # the photo finish's runs per team and why (an "auto" budget's reason)
    notes: tuple[str, ...] = ()  # e.g. that the time cap (photo_finish_minutes) bound
    amendments: tuple[Amendment, ...] = ()  # reviews after the close, oldest first

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def lines(self) -> list[str]:
        """The report as people read it (CLI, board, log)."""
        out = [f"photo finish budget: {self.budget}"] if self.budget else []
        out.extend(f"photo finish: {note}" for note in self.notes)
        if self.remeasured:
            runs = ", ".join(
                f"{team} {n} run{'s' if n != 1 else ''}" for team, n in self.remeasured
            )
            out.append(f"photo finish re-measured: {runs}")
        else:
            out.append("photo finish: nothing needed re-measuring")
        for p in self.pairs:
            verdict = "now sure" if p.sure else "still unsure: the timing-free rule decides"
            out.append(f"{p.kind} {p.ahead} / {p.behind}: before: {p.before}")
            out.append(f"{p.kind} {p.ahead} / {p.behind}: after ({verdict}): {p.after}")
        out.extend(f"changed: {c}" for c in self.changes)
        if not self.changes:
            out.append("no place, bonus or winner changed")
        out.extend(a.line() for a in self.amendments)
        for place, team, score in self.winners:
            out.append(f"winner: {place}. {team} ({score:.2f} points)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "remeasured": [list(r) for r in self.remeasured],
            "pairs": [vars(p) for p in self.pairs],
            "changes": list(self.changes),
            "winners": [list(w) for w in self.winners],
            "budget": self.budget,
            "notes": list(self.notes),
            "amendments": [vars(a) for a in self.amendments],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CloseReport:
        return cls(
            stage=str(data["stage"]),
            remeasured=tuple((str(t), int(n)) for t, n in data.get("remeasured", [])),
            pairs=tuple(PairReport(**p) for p in data.get("pairs", [])),
            changes=tuple(str(c) for c in data.get("changes", [])),
            winners=tuple((int(p), str(t), float(s)) for p, t, s in data.get("winners", [])),
            budget=str(data.get("budget", "")),
            notes=tuple(str(n) for n in data.get("notes", [])),
            amendments=tuple(_amendment(a) for a in data.get("amendments", [])),
        )


def _amendment(data: dict[str, Any]) -> Amendment:
    return Amendment(
        review=int(data["review"]),
        submission=int(data["submission"]),
        team=str(data["team"]),
        decision=str(data["decision"]),
        winners_before=tuple(str(t) for t in data.get("winners_before", [])),
        winners_after=tuple(str(t) for t in data.get("winners_after", [])),
    )


def amended(
    report: CloseReport,
    board: Leaderboard,
    places: int,
    *,
    review: int,
    submission: int,
    team: str,
    decision: str,
) -> CloseReport:
    """The report restated after a review: the winners of today's `board`, and an amendment
    saying which review changed them (the photo finish's record stays as it was)."""
    winners = tuple((r.place, r.team, r.overall) for r in board.rows[:places])
    note = Amendment(
        review, submission, team, decision,
        winners_before=tuple(t for _, t, _ in report.winners),
        winners_after=tuple(t for _, t, _ in winners),
    )  # fmt: skip
    return replace(report, winners=winners, amendments=(*report.amendments, note))


def close_report(
    before: Leaderboard, after: Leaderboard, places: int, notes: tuple[str, ...] = ()
) -> CloseReport:
    """Compare the board before the photo finish with the final one."""
    runs_before = {e.team: len(e.samples) for e in before.entries}
    remeasured = tuple(
        (e.team, len(e.samples) - runs_before[e.team])
        for e in after.entries
        if e.team in runs_before and len(e.samples) > runs_before[e.team]
    )
    pairs = tuple(_pair(c.kind, c.ahead, c.behind, c.reason, after) for c in before.contests)
    old = {r.team: r for r in before.rows}
    changes = []
    for row in after.rows:
        was = old.get(row.team)
        if was is None or (was.place, was.bonus) == (row.place, row.bonus):
            continue
        what = []
        if was.place != row.place:
            what.append(f"place {was.place} → {row.place}")
        if was.bonus != row.bonus:
            what.append(f"bonus {was.bonus} → {row.bonus}")
        why = "; ".join(row.reasons) or "passed by nobody, passing nobody"
        changes.append(f"{row.team}: {', '.join(what)} ({why})")
    old_top = [r.team for r in before.rows[:places]]
    new_top = [r.team for r in after.rows[:places]]
    if old_top and new_top and old_top[0] != new_top[0]:
        changes.append(f"the winner is {new_top[0]}, not {old_top[0]}")
    winners = tuple((r.place, r.team, r.overall) for r in after.rows[:places])
    budget = (
        f"{before.photo_finish_runs} runs per team ({before.photo_finish_budget})"
        if before.contests and before.photo_finish_budget
        else ""
    )
    return CloseReport(after.stage, remeasured, pairs, tuple(changes), winners, budget, notes)


def _pair(kind: str, ahead: str, behind: str, reason: str, after: Leaderboard) -> PairReport:
    now = after.compare(ahead, behind)
    if kind == "move":
        decided = [d for d in after.decisions if {d.team, d.past} == {ahead, behind}]
        if decided:
            return PairReport(kind, ahead, behind, reason, decided[0].reason,
                              decided[0].kind != "undecided")  # fmt: skip
        # the move is no longer examined (the order changed): say how the two compare now
    text = now.text if now is not None else "no longer ranked"
    return PairReport(kind, ahead, behind, reason, text, bool(now and now.sure))
