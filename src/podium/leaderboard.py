"""Leaderboards derived from raw facts: per-language scores and raw measurements.

Everything here is a pure function of the rows the store keeps, so every shown number
(task score, overall, duration, place) can be recomputed from the store.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from podium.metrics import mean, task_means
from podium.ranking import Entry, RerankRule, rank


@dataclass(frozen=True)
class RunFacts:
    """The raw facts of one scored run, as read from the store."""

    team: str
    members: tuple[str, ...]
    submission_id: int
    attempt: int
    run_id: int
    submitted_at: datetime
    scores: Mapping[tuple[str, str, str], float]  # (task, language, metric) -> value
    walls: Sequence[float]  # wall seconds of each repeat
    cpu_seconds: float
    peak_rss_bytes: int
    hardware: str
    fingerprint: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Aggregate:
    """A run's derived numbers under the competition's metric choice."""

    overall: float
    tasks: dict[str, float]
    languages: dict[str, dict[str, float]]
    duration: float
    duration_min: float
    duration_max: float


def aggregate(facts: RunFacts, metrics: Mapping[str, str]) -> Aggregate:
    """Task score = mean over its languages; overall = mean of task scores (0-100).
    Duration = median wall time of the repeats."""
    counted = {
        (task, lang): value
        for (task, lang, metric), value in facts.scores.items()
        if metrics.get(task) == metric
    }
    languages: dict[str, dict[str, float]] = {}
    for (task, lang), value in counted.items():
        languages.setdefault(task, {})[lang] = value
    tasks = task_means(counted)
    walls = list(facts.walls)
    return Aggregate(
        overall=mean(tasks.values()) if tasks else 0.0,
        tasks=tasks,
        languages={t: dict(sorted(v.items())) for t, v in sorted(languages.items())},
        duration=statistics.median(walls),
        duration_min=min(walls),
        duration_max=max(walls),
    )


@dataclass(frozen=True)
class Row:
    """One team on a leaderboard: its best run's aggregate, and the reasons for its place."""

    place: int
    performance_place: int
    efficiency_place: int
    bonus: int
    team: str
    members: tuple[str, ...]
    aggregate: Aggregate
    cpu_seconds: float
    peak_rss_bytes: int
    submission_id: int
    attempt: int
    run_id: int
    reasons: tuple[str, ...]

    @property
    def overall(self) -> float:
        return self.aggregate.overall

    @property
    def tasks(self) -> dict[str, float]:
        return self.aggregate.tasks

    @property
    def languages(self) -> dict[str, dict[str, float]]:
        return self.aggregate.languages

    @property
    def duration(self) -> float:
        return self.aggregate.duration

    @property
    def movement(self) -> int:
        """Places gained (+) or lost (-) by the efficiency re-ranking."""
        return self.performance_place - self.place

    @property
    def arrow(self) -> str:
        """The move as every front end shows it: ▲2, ▼1 or =."""
        if self.movement > 0:
            return f"▲{self.movement}"
        return f"▼{-self.movement}" if self.movement < 0 else "="

    def to_dict(self) -> dict[str, Any]:
        """Flat, as the JSON document has always been (the aggregate's fields inline)."""
        flat = {k: v for k, v in asdict(self).items() if k != "aggregate"}
        return {**flat, **asdict(self.aggregate)}


@dataclass(frozen=True)
class Leaderboard:
    competition: str
    stage: str
    status: str
    rows: tuple[Row, ...]
    unranked: tuple[tuple[str, str], ...]  # (team, why)
    rule: RerankRule
    metrics: dict[str, str]
    hardware: str
    notes: tuple[str, ...] = ()

    @property
    def durations_comparable(self) -> bool:
        return not self.notes

    def performance_order(self) -> list[Row]:
        return sorted(self.rows, key=lambda r: r.performance_place)

    def to_dict(self) -> dict[str, Any]:
        return {
            "competition": self.competition,
            "stage": self.stage,
            "status": self.status,
            "hardware": self.hardware,
            "metrics": self.metrics,
            "rule": asdict(self.rule),
            "rows": [r.to_dict() for r in self.rows],
            "unranked": [{"team": t, "why": w} for t, w in self.unranked],
            "durations_comparable": self.durations_comparable,
            "notes": list(self.notes),
        }


def best_per_team(
    runs: Sequence[RunFacts], metrics: Mapping[str, str]
) -> dict[str, tuple[RunFacts, Aggregate]]:
    """Each team's best scored run: highest overall, then the earlier submission."""
    best: dict[str, tuple[RunFacts, Aggregate]] = {}
    for facts in sorted(runs, key=lambda f: (f.submitted_at, f.submission_id)):
        agg = aggregate(facts, metrics)
        current = best.get(facts.team)
        if current is None or agg.overall > current[1].overall:
            best[facts.team] = (facts, agg)
    return best


def build_leaderboard(
    *,
    competition: str,
    stage: str,
    status: str,
    runs: Sequence[RunFacts],
    teams: Sequence[str],
    metrics: Mapping[str, str],
    rule: RerankRule,
    hardware: str,
) -> Leaderboard:
    """Rank each team's best run with the re-ranking rule.

    Durations measured on different hardware are not compared: the efficiency re-ranking is
    then withheld and the notes say which teams differ in what.
    """
    best = best_per_team(runs, metrics)
    notes = comparability_notes([facts for facts, _ in best.values()])
    if notes:
        rule = RerankRule(bonus_places=(), max_score_gap=rule.max_score_gap,
                          min_efficiency_gain=rule.min_efficiency_gain)  # fmt: skip
    entries = [
        Entry(
            team=team,
            score=agg.overall,
            duration=agg.duration,
            submitted_at=facts.submitted_at.timestamp(),
        )
        for team, (facts, agg) in best.items()
    ]
    rows = []
    for placement in rank(entries, rule):
        facts, agg = best[placement.team]
        rows.append(
            Row(
                place=placement.place,
                performance_place=placement.performance_place,
                efficiency_place=placement.efficiency_place,
                bonus=placement.bonus,
                team=placement.team,
                members=facts.members,
                aggregate=agg,
                cpu_seconds=facts.cpu_seconds,
                peak_rss_bytes=facts.peak_rss_bytes,
                submission_id=facts.submission_id,
                attempt=facts.attempt,
                run_id=facts.run_id,
                reasons=tuple(placement.reasons),
            )
        )
    unranked = tuple((t, "no scored submission yet") for t in teams if t not in best)
    return Leaderboard(
        competition=competition,
        stage=stage,
        status=status,
        rows=tuple(rows),
        unranked=unranked,
        rule=rule,
        metrics=dict(metrics),
        hardware=hardware,
        notes=notes,
    )


COMPARED = ("cpu", "cores", "machine", "gpu", "kernel", "python")


def comparability_notes(runs: Sequence[RunFacts]) -> tuple[str, ...]:
    """Why durations of these runs cannot be compared (empty when they can)."""
    if len(runs) < 2:
        return ()
    reference = runs[0]
    notes = []
    for facts in runs[1:]:
        if facts.hardware != reference.hardware:
            notes.append(f"{facts.team} was timed on hardware {facts.hardware!r}, "
                         f"{reference.team} on {reference.hardware!r}")  # fmt: skip
            continue
        for key in COMPARED:
            if facts.fingerprint.get(key) != reference.fingerprint.get(key):
                notes.append(f"{facts.team} and {reference.team} were timed with different "
                             f"{key}: {facts.fingerprint.get(key)!r} vs "
                             f"{reference.fingerprint.get(key)!r}")  # fmt: skip
                break
    if notes:
        notes.append("durations are not compared and the efficiency re-ranking is withheld; "
                     "re-run the affected submissions on the reference hardware")  # fmt: skip
    return tuple(notes)
