"""Twins under bursty load: how often noise splits byte-identical submissions.

A board of three teams with equal scores: two twins doing identical work and a team 2.2 times
slower, submitted first (only a sure difference may put it below the twins). Every run (the
evaluation, and every photo finish re-measurement) times `repeats` = 3 back to back; its
repeats jitter by sd(log) 0.03, and with the given chance a burst of load covers the whole run,
multiplying all three by a factor drawn from the given range (bursts are independent from run
to run: interleaving does not share them here, the worst case). The noise known before the
runs is the assumed `noise_prior` 0.2 (4 df) or a calibration of sd 0.05 (29 df); the photo
finish re-measures `contested` pairs interleaved, to their next planned look, as the service
does, with `photo_finish_runs` 2 (the twins test's) or "auto".

Printed per row, for podium (a run's repeats are one observation, `podium.rules.looks`) and
the named peer, **the same rule counting every repeat as an independent run** (podium before
this model): the share of boards where the twins got different efficiency places or bonuses
or were called surely different (*split*), where the slow team was not surely the slowest
(*slow unsure*), and the re-measurement runs per board.

    .venv/bin/python benchmarks/bench_bursts.py [--seeds 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import random
import statistics

from podium.rules.efficiency import Noise, pooled_noise
from podium.rules.looks import Plan, photo_finish_budget
from podium.rules.ranking import Entry, RerankRule, compare, contested, rank

REPEATS = 3
TEAMS = (("Slow", 2.2, 0.0), ("Deep", 1.0, 1.0), ("Quick", 1.0, 2.0))  # team, true s, submitted
TRUE = {team: seconds for team, seconds, _ in TEAMS}


@dataclasses.dataclass
class Tally:
    split: int = 0
    slow_unsure: int = 0
    runs: int = 0


def board(seed: int, prior: Noise, budget: int, bursts: tuple[float, float, float], *,
          sessions: bool) -> tuple[bool, bool, int]:  # fmt: skip
    """One board, photo finish included: (twins split, slow team unsure, runs)."""
    draw = random.Random(seed)
    chance, low, high = bursts

    def run(team: str) -> list[float]:
        factor = draw.uniform(low, high) if draw.random() < chance else 1.0
        return [TRUE[team] * factor * math.exp(draw.gauss(0, 0.03)) for _ in range(REPEATS)]

    samples = {team: run(team) for team, _, _ in TEAMS}
    runs = dict.fromkeys(samples, 0)
    rule, plan = RerankRule(), Plan(budget)

    def read() -> tuple[list[Entry], Noise | None]:
        entries = [
            Entry(t, 80.0, statistics.median(samples[t]), sub, tuple(samples[t]), runs[t],
                  repeats=REPEATS if sessions else 0)
            for t, _, sub in TEAMS
        ]  # fmt: skip
        noise = pooled_noise(samples.values(), prior)
        if noise is not None and not sessions:
            noise = dataclasses.replace(noise, floor=0.0)
        return entries, noise

    while True:
        entries, noise = read()
        todo = [c for c in contested(entries, rule, noise, plan) if min(c.remeasures) < budget]
        if not todo:
            break
        looks = [plan.reached(min(runs[c.ahead], runs[c.behind])) for c in todo]
        pair = todo[looks.index(min(looks))]
        target = plan.runs_at(min(looks) + 1)
        while any(runs[t] < target for t in (pair.ahead, pair.behind)):
            for team in (pair.ahead, pair.behind):  # interleaved: A, B
                if runs[team] < target:
                    samples[team] += run(team)
                    runs[team] += 1
    placed = {p.team: p for p in rank(entries, rule, noise, plan)}
    deep, quick = placed["Deep"], placed["Quick"]
    split = (deep.efficiency_place, deep.bonus) != (quick.efficiency_place, quick.bonus)
    split = split or compare(entries[1], entries[2], rule, noise, plan).sure
    return split, placed["Slow"].efficiency_place != 3, sum(runs.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="boards per row")
    args = parser.parse_args()
    print(f"{args.seeds} boards per row; split / slow unsure / runs per board")
    print(f"{'noise known':<16} {'budget':>6} {'bursts':>14}   {'podium':^24}   {'peer':^24}")
    for prior in (Noise(0.2, 4, "assumed 0.2"), Noise(0.05, 29, "calibrated 0.05")):
        auto = photo_finish_budget("auto", prior, 0.05, 0.05).runs
        for budget in (2, auto):
            for bursts in ((0.0, 1.0, 1.0), (0.25, 1.5, 3.0)):
                cells = []
                for sessions in (True, False):
                    tally = Tally()
                    for seed in range(args.seeds):
                        split, unsure, runs = board(seed, prior, budget, bursts, sessions=sessions)
                        tally.split += split
                        tally.slow_unsure += unsure
                        tally.runs += runs
                    n = args.seeds
                    cells.append(
                        f"{tally.split / n:>6.1%} {tally.slow_unsure / n:>6.1%} {tally.runs / n:>8.1f}"
                    )
                said = "none" if not bursts[0] else f"{bursts[0]:.0%} x{bursts[1]}-{bursts[2]}"
                print(f"{prior.source:<16} {budget:>6} {said:>14}   {cells[0]}   {cells[1]}")


if __name__ == "__main__":
    main()
