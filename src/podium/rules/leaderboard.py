"""Leaderboards derived from raw facts: per-language scores and raw measurements.

Everything here is a pure function of the rows the store keeps, so every shown number
(task score, overall, duration, place) can be recomputed from the store.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from podium.metrics import mean, task_means
from podium.rules.comparison import Comparison
from podium.rules.efficiency import Noise, median_interval, pooled_noise
from podium.rules.looks import MAX_PHOTO_FINISH_RUNS, Budget, Plan, photo_finish_budget
from podium.rules.ranking import (
    Contest,
    Decision,
    Entry,
    Placement,
    RerankRule,
    compare,
    contested,
    rank,
)
from podium.rules.wording import mismatches


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
    # efficiency figures per metric ("wall_time", "cpu_time", "energy"): the run's repeats,
    # then its submission's re-measurements; a metric that was not measured is absent
    samples: Mapping[str, Sequence[float]] = field(default_factory=dict)
    remeasures: int = 0  # re-measurement runs of its submission (photo finish) in `samples`

    def figures(self, metric: str) -> Sequence[float]:
        """The samples the rule compares; wall time falls back to the run's own repeats."""
        if metric in self.samples:
            return self.samples[metric]
        return self.walls if metric == "wall_time" else ()


@dataclass(frozen=True)
class Aggregate:
    """A run's derived numbers under the competition's metric choice.

    `duration` is the median of the efficiency figure's samples (seconds of wall time by
    default), with its distribution-free interval at the asked confidence
    (`duration_ci95`; `duration_ci_level` says what it really covers with few samples).
    """

    overall: float
    tasks: dict[str, float]
    languages: dict[str, dict[str, float]]
    duration: float
    duration_min: float
    duration_max: float
    duration_ci95: tuple[float, float] = (0.0, 0.0)
    duration_ci_level: float = 0.0
    repeats: int = 0
    duration_metric: str = "wall_time"  # what `duration` is of: wall time where unmeasured


@dataclass(frozen=True)
class Combine:
    """How task scores make a run's overall score (`[leaderboard] aggregate`).

    `mean` and `weighted` (`weights` per task, 1 where unnamed) are per run. `mean_rank`
    ranks the teams on every task and scores each team 100 x (n - rank) / (n - 1) per task
    (ties share their mean rank; 100 for the best, 0 for the last), averaged over tasks: the
    order of the mean rank, on the 0-100 scale the re-ranking's score gap is measured in.
    Within a team, its best run is chosen by the plain mean."""

    kind: str = "mean"  # mean | weighted | mean_rank
    weights: Mapping[str, float] = field(default_factory=dict)
    lower_is_better: frozenset[str] = frozenset()  # tasks whose metric is an error (mean_rank)

    def overall(self, tasks: Mapping[str, float]) -> float:
        if not tasks:
            return 0.0
        if self.kind == "mean_rank":  # within a team: errors count against, scores for
            return mean(-v if t in self.lower_is_better else v for t, v in tasks.items())
        if self.kind != "weighted":
            return mean(tasks.values())
        total = math.fsum(self.weights.get(t, 1.0) for t in tasks)
        return math.fsum(self.weights.get(t, 1.0) * v for t, v in tasks.items()) / total


def rank_scores(
    tasks_by_team: Mapping[str, Mapping[str, float]], lower_is_better: Collection[str] = ()
) -> dict[str, float]:
    """`mean_rank` as a 0-100 score per team (see `Combine`); one team scores 100. Tasks in
    `lower_is_better` (errors such as rmse) rank their lowest first."""
    teams = list(tasks_by_team)
    n = len(teams)
    if n < 2:
        return dict.fromkeys(teams, 100.0)
    task_ids = sorted({t for scores in tasks_by_team.values() for t in scores})
    points: dict[str, list[float]] = {team: [] for team in teams}
    for task in task_ids:
        sign = -1.0 if task in lower_is_better else 1.0
        values = {team: sign * tasks_by_team[team].get(task, sign * -math.inf) for team in teams}
        for team in teams:
            better = sum(1 for v in values.values() if v > values[team])
            ties = sum(1 for v in values.values() if v == values[team]) - 1
            rank = 1 + better + ties / 2  # ties share their mean rank
            points[team].append(100 * (n - rank) / (n - 1))
    return {team: mean(p) for team, p in points.items()}


def aggregate(
    facts: RunFacts,
    metrics: Mapping[str, str],
    efficiency: str = "wall_time",
    confidence: float = 0.95,
    combine: Combine | None = None,
) -> Aggregate:
    """Task score = mean over its languages; overall = their combination (`Combine`).
    Duration = median of the efficiency figure's samples (wall time of the repeats when
    nothing else was measured), with its interval."""
    counted = {
        (task, lang): value
        for (task, lang, metric), value in facts.scores.items()
        if metrics.get(task) == metric
    }
    languages: dict[str, dict[str, float]] = {}
    for (task, lang), value in counted.items():
        languages.setdefault(task, {})[lang] = value
    tasks = task_means(counted)
    measured = facts.figures(efficiency)
    figures = list(measured or facts.walls)
    interval = median_interval(figures, confidence)
    return Aggregate(
        overall=(combine or Combine()).overall(tasks),
        tasks=tasks,
        languages={t: dict(sorted(v.items())) for t, v in sorted(languages.items())},
        duration=statistics.median(figures),
        duration_min=min(figures),
        duration_max=max(figures),
        duration_ci95=(interval.low, interval.high),
        duration_ci_level=interval.confidence,
        repeats=len(figures),
        duration_metric=efficiency if measured else "wall_time",
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
    training_seconds: float | None = None  # billed training CPU time, where shown

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


# the unit and the column label of each efficiency figure (what a row's `duration` is)
EFFICIENCY_UNITS = {"wall_time": "s", "cpu_time": "s", "energy": "J"}


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
    notes: tuple[str, ...] = ()  # why durations are not compared (the re-ranking is withheld)
    decisions: tuple[Decision, ...] = ()  # every examined move, in the order it was examined
    efficiency_metric: str = "wall_time"
    noise: Noise | None = None  # the run-to-run noise the decisions assumed
    photo_finish_runs: int = 0  # re-measurements an undecided move may still get
    photo_finish_budget: str = ""  # why that many (an "auto" budget follows the noise)
    warnings: tuple[str, ...] = ()  # e.g. a threshold below the calibrated noise
    reference_seconds: float | None = None  # durations read against the reference clock
    references: tuple[Row, ...] = ()  # reference submissions (a baseline): shown, never ranked
    aggregate: str = "mean"  # how task scores make the overall score
    columns: tuple[str, ...] | None = None  # task columns shown (None: every task)
    # unsure timing comparisons that could change a place or a bonus (a photo finish's work)
    contests: tuple[Contest, ...] = ()
    entries: tuple[Entry, ...] = field(default=(), repr=False)  # what was ranked (samples)
    closing: tuple[str, ...] = ()  # what the close did (stored when the stage was published)
    word_mismatches: tuple[str, ...] = ()  # sentences that disagree with the numbers (a bug)

    @property
    def overall_text(self) -> str:
        """How the overall score is made, as every front end says it."""
        how = {
            "weighted": "weighted mean of the task scores",
            "mean_rank": "mean rank over the tasks, as a 0–100 score (100: best on every task)",
        }.get(self.aggregate, "mean of the task scores")
        direction = "" if self.rule.higher_is_better else " (errors: lower is better)"
        metrics = ", ".join(f"{task} {metric}" for task, metric in self.metrics.items())
        return f"Overall = {how}{direction}; task = its metric over its languages ({metrics})."

    @property
    def shown_tasks(self) -> list[str]:
        """The task columns front ends show, in order (the data keeps every task)."""
        return list(self.columns) if self.columns is not None else list(self.metrics)

    @property
    def durations_comparable(self) -> bool:
        return not self.notes

    def relative(self, row: Row) -> float | None:
        """A duration in units of the hardware's reference workload (None: not timed)."""
        if self.reference_seconds is None or self.efficiency_metric != "wall_time":
            return None
        return row.duration / self.reference_seconds

    @property
    def provisional(self) -> bool:
        """Unsure comparisons that matter and that re-measuring (a photo finish) may decide;
        never after a close (its photo finish spent the budget it started with)."""
        return not self.closing and any(
            min(c.remeasures) < self.photo_finish_runs for c in self.contests
        )

    def compare(self, a: str, b: str) -> Comparison | None:
        """Two ranked teams' durations compared as the rule reads them (None: not ranked)."""
        by_team = {e.team: e for e in self.entries}
        if a not in by_team or b not in by_team:
            return None
        plan = Plan(self.photo_finish_runs) if self.photo_finish_runs else None
        return compare(by_team[a], by_team[b], self.rule, self.noise, plan)

    @property
    def efficiency_unit(self) -> str:
        return EFFICIENCY_UNITS[self.efficiency_metric]

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
            "rows": [{**r.to_dict(), "duration_relative": self.relative(r)} for r in self.rows],
            "unranked": [{"team": t, "why": w} for t, w in self.unranked],
            "durations_comparable": self.durations_comparable,
            "notes": list(self.notes),
            "efficiency_metric": self.efficiency_metric,
            "efficiency_unit": self.efficiency_unit,
            "decisions": [d.to_dict() for d in self.decisions],
            "provisional": self.provisional,
            "contests": [c.to_dict() for c in self.contests],
            "photo_finish": {"runs": self.photo_finish_runs, "why": self.photo_finish_budget},
            "closing": list(self.closing),
            "noise": asdict(self.noise) if self.noise is not None else None,
            "warnings": list(self.warnings),
            "aggregate": self.aggregate,
            "references": [r.to_dict() for r in self.references],
        }


def best_per_team(
    runs: Sequence[RunFacts],
    metrics: Mapping[str, str],
    efficiency: str = "wall_time",
    confidence: float = 0.95,
    combine: Combine | None = None,
    references: Collection[str] = (),
    higher_is_better: bool = True,
) -> dict[str, tuple[RunFacts, Aggregate]]:
    """Each team's best scored run: highest overall (lowest when lower is better), then the
    earlier submission. With `mean_rank` the overall of each team's best run becomes its
    rank score among the teams (each task ranked in its metric's direction)."""
    combine = combine or Combine()
    sign = 1.0 if higher_is_better or combine.kind == "mean_rank" else -1.0
    best: dict[str, tuple[RunFacts, Aggregate]] = {}
    for facts in sorted(runs, key=lambda f: (f.submitted_at, f.submission_id)):
        agg = aggregate(facts, metrics, efficiency, confidence, combine)
        current = best.get(facts.team)
        if current is None or sign * agg.overall > sign * current[1].overall:
            best[facts.team] = (facts, agg)
    if combine.kind == "mean_rank":
        ranked = {t: agg.tasks for t, (_, agg) in best.items() if t not in references}
        errors = combine.lower_is_better
        scores = rank_scores(ranked, errors)
        for ref in set(best) & set(references):  # placed among the teams, moving none of them
            scores[ref] = rank_scores({**ranked, ref: best[ref][1].tasks}, errors)[ref]
        best = {t: (f, replace(agg, overall=scores[t])) for t, (f, agg) in best.items()}
    return best


@dataclass(frozen=True)
class Timing:
    """How efficiency is judged: which figure, with what noise model and budget."""

    metric: str = "wall_time"
    assumed: Noise | None = None  # used when neither calibration nor repeats measured noise
    calibrated: Noise | None = None  # the stored calibration of this hardware, if any
    photo_finish_runs: int | str = 0  # "auto": sized to the noise (podium.rules.efficiency)
    photo_finish_max_runs: int = MAX_PHOTO_FINISH_RUNS
    warnings: tuple[str, ...] = ()
    reference_seconds: float | None = None  # the hardware's reference workload, if timed


@dataclass(frozen=True)
class BoardSettings:
    """What every board of a competition is made with (its spec's part), apart from the
    facts of one board: the metrics per task, the hardware label, the re-ranking rule, how
    task scores combine, the reference teams and the columns shown."""

    competition: str
    metrics: Mapping[str, str]
    hardware: str
    rule: RerankRule = field(default_factory=RerankRule)
    combine: Combine = field(default_factory=Combine)
    references: Collection[str] = ()
    columns: Sequence[str] | None = None


def build_leaderboard(
    settings: BoardSettings,
    *,
    stage: str,
    status: str,
    runs: Sequence[RunFacts],
    teams: Sequence[str],
    timing: Timing | None = None,
    training: Mapping[str, float] | None = None,
) -> Leaderboard:
    """Rank each team's best run with the re-ranking rule (`training`: each team's billed
    training CPU seconds, shown on its row and, under a tie-break rule, ordering equal scores).

    Durations measured on different hardware (or a figure that was not measured for every
    team) are not compared: the efficiency re-ranking is then withheld and the notes say
    which teams differ in what. Reference teams (an organizer's baseline) are shown beside
    the ranking, never in it: no place, no move, no decision, no hall of fame.
    """
    timing = timing or Timing()
    metrics, rule, combine = settings.metrics, settings.rule, settings.combine
    references, columns = settings.references, settings.columns
    every = best_per_team(runs, metrics, timing.metric, rule.confidence, combine, references,
                          rule.higher_is_better)  # fmt: skip
    best = {t: chosen for t, chosen in every.items() if t not in references}
    shown = tuple(_reference_row(t, *every[t]) for t in every if t in references)
    chosen = [facts for facts, _ in best.values()]
    notes = comparability_notes(chosen) + _unmeasured_notes(chosen, timing.metric)
    if notes:
        rule = replace(rule, bonus_places=())
    noise = _noise(runs, timing)
    entries = [
        replace(
            _entry(team, facts, agg, timing.metric),
            training_seconds=(training or {}).get(team, 0.0),
        )
        for team, (facts, agg) in best.items()
    ]
    budget = _budget(timing, rule)
    plan = Plan(budget.runs) if budget.runs else None  # the looks of its photo finishes
    placements = rank(entries, rule, noise, plan)
    contests = tuple(contested(entries, rule, noise, plan)) if timing.photo_finish_runs else ()
    rows = tuple(
        replace(_row(p, *best[p.team]), training_seconds=(
            None if training is None else p.entry.training_seconds))
        for p in placements
    )  # fmt: skip
    decisions = tuple(
        d for p in sorted(placements, key=lambda p: p.efficiency_place) for d in p.moves
    )
    unranked = tuple(
        (t, "no scored submission yet") for t in teams if t not in every and t not in references
    )
    return Leaderboard(
        competition=settings.competition,
        stage=stage,
        status=status,
        rows=rows,
        unranked=unranked,
        rule=rule,
        metrics=dict(metrics),
        hardware=settings.hardware,
        notes=notes,
        decisions=decisions,
        efficiency_metric=timing.metric,
        noise=noise,
        photo_finish_runs=budget.runs,
        photo_finish_budget=budget.why,
        warnings=timing.warnings,
        reference_seconds=timing.reference_seconds,
        references=tuple(sorted(shown, key=lambda r: -r.overall)),
        aggregate=combine.kind,
        columns=tuple(columns) if columns is not None else None,
        contests=contests,
        entries=tuple(entries),
        word_mismatches=_word_mismatches(rows, contests),
    )


def _budget(timing: Timing, rule: RerankRule) -> Budget:
    """The photo finish's runs per team (its plan: the looks are fractions of it): as set,
    or sized to the stored noise (the hardware's calibration, else `noise_prior`), which a
    photo finish does not change: the budget a close starts with is the one its final board
    shows. `photo_finish_minutes` caps the time, not the plan (`podium.service.photo_finish`)."""
    if not timing.photo_finish_runs:
        return Budget(0, "")
    return photo_finish_budget(
        timing.photo_finish_runs, timing.calibrated or timing.assumed,
        rule.min_efficiency_gain, rule.risk, max_runs=timing.photo_finish_max_runs,
    )  # fmt: skip


def _word_mismatches(rows: Sequence[Row], contests: Sequence[Contest]) -> tuple[str, ...]:
    said = {r.team: list(r.reasons) for r in rows}
    for c in contests:
        said[c.behind].append(c.reason)
    return tuple(mismatches({r.team: r.duration for r in rows}, said))


def _reference_row(team: str, facts: RunFacts, agg: Aggregate) -> Row:
    return Row(place=0, performance_place=0, efficiency_place=0, bonus=0, team=team,
               members=facts.members, aggregate=agg, cpu_seconds=facts.cpu_seconds,
               peak_rss_bytes=facts.peak_rss_bytes, submission_id=facts.submission_id,
               attempt=facts.attempt, run_id=facts.run_id,
               reasons=("reference submission: shown for comparison, never ranked",))  # fmt: skip


def _noise(runs: Sequence[RunFacts], timing: Timing) -> Noise | None:
    """The noise of every scored run's repeats, pooled with what was known before them (the
    calibration, else the assumed noise): few repeats cannot talk the estimate down."""
    prior = timing.calibrated or timing.assumed
    return pooled_noise((facts.figures(timing.metric) for facts in runs), prior, "repeats")


def _entry(team: str, facts: RunFacts, agg: Aggregate, metric: str) -> Entry:
    samples = tuple(facts.figures(metric))
    return Entry(
        team=team,
        score=agg.overall,
        duration=agg.duration,
        submitted_at=facts.submitted_at.timestamp(),
        samples=samples,
        remeasures=facts.remeasures,
        repeats=len(facts.walls),  # every run times as many repeats as the evaluation
    )


def _row(placement: Placement, facts: RunFacts, agg: Aggregate) -> Row:
    return Row(
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


def _unmeasured_notes(runs: Sequence[RunFacts], metric: str) -> tuple[str, ...]:
    missing = [facts.team for facts in runs if not facts.figures(metric)]
    if not missing or len(runs) < 2:
        return ()
    return (
        f"{metric.replace('_', ' ')} was not measured for {', '.join(sorted(missing))} "
        "(no counter on that machine); the efficiency re-ranking is withheld",
    )


COMPARED = ("cpu", "cores", "machine", "gpu", "kernel", "python")
NOT_COMPARED = ("podium", "spec_hash")


def compared_keys(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, ...]:
    """The detected facts, and any a machine declared (PODIUM_FINGERPRINT_EXTRA)."""
    extra = sorted((set(a) | set(b)) - set(COMPARED) - set(NOT_COMPARED))
    return (*COMPARED, *extra)


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
        for key in compared_keys(facts.fingerprint, reference.fingerprint):
            if facts.fingerprint.get(key) != reference.fingerprint.get(key):
                notes.append(f"{facts.team} and {reference.team} were timed with different "
                             f"{key}: {facts.fingerprint.get(key)!r} vs "
                             f"{reference.fingerprint.get(key)!r}")  # fmt: skip
                break
    if notes:
        notes.append("durations are not compared and the efficiency re-ranking is withheld; "
                     "re-run the affected submissions on the reference hardware")  # fmt: skip
    return tuple(notes)
