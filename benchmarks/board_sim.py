"""Whole boards under simulated timing noise: what the rule decides, against the truth.

Used by bench_photo_finish.py. A scenario is a board of teams with true durations; each run
draws a log-normal figure around its team's true duration (sd of log = the noise). The truth
is the rule on the true durations (exact floats: equal durations are not different, so twins
fall to the timing-free rule). A photo finish re-measures the rule's contested comparisons
(`podium.rules.ranking.contested`) interleaved, up to the pair's next planned look
(`podium.rules.looks.Plan`), until none is left or `photo_finish_runs` is spent (per team, as
the service counts it), as `podium.service.photo_finish` does.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

from podium.rules.efficiency import Noise, pooled_noise
from podium.rules.looks import Plan
from podium.rules.ranking import Entry, RerankRule, compare, contested, rank

# (team, score, true duration, submitted)
SCENARIOS: dict[str, list[tuple[str, float, float, float]]] = {
    # byte-identical twins (equal scores) and a team doing the same work twice as slowly
    "twins": [("Slow", 80.0, 2.0, 0.0), ("Deep", 80.0, 1.0, 1.0), ("Quick", 80.0, 1.0, 2.0),
              ("Other", 74.0, 1.5, 3.0)],
    # the runner-up is truly 10% faster than the leader (threshold 5%): it should move
    "10% gain": [("Atlas", 82.0, 1.0, 0.0), ("Birch", 80.0, 0.9, 1.0),
                 ("Cedar", 70.0, 3.0, 2.0)],
}  # fmt: skip


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0  # a sure comparison or a decided move contradicts the truth
    undecided: int = 0  # not the true outcome, but only where the timing-free rule decided
    runs: list[int] | None = None  # re-measurement runs per board (all teams together)


def outcome(
    entries: list[Entry], rule: RerankRule, noise: Noise | None, plan: Plan | None = None
) -> tuple[object, ...]:
    return tuple(sorted((p.team, p.place, p.bonus) for p in rank(entries, rule, noise, plan)))


def _entries(
    teams: list[tuple[str, float, float, float]], runs: dict[str, list[float]]
) -> list[Entry]:
    return [
        Entry(t, s, statistics.median(runs[t]), sub, tuple(runs[t]), len(runs[t]) - 1)
        for t, s, _, sub in teams
    ]


def _noise_decided(
    entries: list[Entry], truth: dict[str, float], rule: RerankRule, noise: Noise, plan: Plan
) -> bool:
    """Did any *sure* comparison or decided move contradict the true durations?"""
    for i, a in enumerate(entries):
        for b in entries[i + 1 :]:
            c = compare(a, b, rule, noise, plan)
            if c.sure and truth[c.first] >= truth[c.second]:
                return True
    for p in rank(entries, rule, noise, plan):
        for d in p.moves:
            if d.kind == "undecided" or d.gain_ci is None:
                continue
            true_gain = 1 - truth[d.team] / truth[d.past]
            if (d.kind == "moved") != (true_gain > rule.min_efficiency_gain):
                return True
    return False


def simulate(
    name: str, sigma: float, seeds: int, budget: int, rule: RerankRule
) -> tuple[Tally, Tally]:
    """(photo finish, single-run peer) over `seeds` boards of scenario `name`."""
    teams = SCENARIOS[name]
    truth_seconds = {t: d for t, _, d, _ in teams}
    truth = outcome([Entry(t, s, d, sub) for t, s, d, sub in teams], rule, None)
    prior = Noise(sigma, 29, "a calibration of 30 runs")
    photo, single = Tally(runs=[]), Tally()
    for seed in range(seeds):
        draw = random.Random(seed)

        def run(team: str, draw: random.Random = draw) -> float:
            return truth_seconds[team] * math.exp(draw.gauss(0.0, sigma))

        runs = {t: [run(t)] for t, *_ in teams}
        peer = [Entry(t, s, runs[t][0], sub) for t, s, _, sub in teams]
        if outcome(peer, rule, None) == truth:
            single.right += 1
        else:
            single.wrong += 1
        plan = Plan(budget)
        while True:
            entries = _entries(teams, runs)
            noise = pooled_noise(runs.values(), prior)
            todo = [c for c in contested(entries, rule, noise, plan) if min(c.remeasures) < budget]
            if not todo:
                break
            looks = [plan.reached(min(len(runs[t]) - 1 for t in (c.ahead, c.behind))) for c in todo]
            first = todo[looks.index(min(looks))]  # breadth first, as the service does
            pair = (first.ahead, first.behind)
            target = plan.runs_at(min(looks) + 1)
            while any(len(runs[t]) - 1 < target for t in pair):
                for team in pair:  # interleaved: A, B
                    if len(runs[team]) - 1 < target:
                        runs[team].append(run(team))
        assert photo.runs is not None
        photo.runs.append(sum(len(r) - 1 for r in runs.values()))
        if outcome(entries, rule, noise, plan) == truth:
            photo.right += 1
        elif _noise_decided(entries, truth_seconds, rule, noise or prior, plan):
            photo.wrong += 1
        else:
            photo.undecided += 1
    return photo, single


__all__ = ["SCENARIOS", "Tally", "simulate"]
