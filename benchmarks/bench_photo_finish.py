"""Photo finish against the single-run rule, at this machine's own timing noise.

1. The noise: a CPU-bound test phase (a Python loop in a fresh process, as the harness starts
   one) is timed `--runs` times; its run-to-run spread (sd of log wall time) is printed with
   the calibration podium would store for it.
2. The decisions: two teams whose true durations differ by 2, 5, 10 and 20% (the rule's
   threshold is 5%) are compared `--trials` times each. Every simulated run draws a real
   measured wall time of step 1 (resampled, scaled to the team's true duration), so the noise
   is the machine's, with its outliers. Two procedures decide whether the faster team moves:
   - the named peer, **the single-run rule** (podium before issue 16, and the one-number
     comparison Codabench, EvalAI and Kaggle leaderboards make): one run each, move when the
     point gain is above the threshold;
   - **podium's photo finish**: the rule of `podium.rules.ranking.rank` with the gain's interval
     (noise pooled with the calibration), re-measuring both teams one run at a time while the
     move is undecided, up to `--budget` runs each.
   An error is a move granted when the true gain is at most 5%, or refused when it is above.
   Printed per true gain: the error rate of each, how often the photo finish stayed
   undecided (no move, said so), the runs it used (median, 90th percentile), and how often the
   faster team stayed unexamined: not surely the more efficient after the photo finish, so
   the timing-free rule gave the bonus by performance place (counted as undecided).

3. Whole boards (`board_sim.py`): the twins board (two teams doing identical work with equal
   scores, one submitted first, and a team twice as slow) and the 10% gain board (the
   runner-up truly 10% faster than the leader), at noise sd(log) 0.05, 0.1 and 0.2, over
   `--seeds` boards each, one run per team then the photo finish of every contested
   comparison (default `photo_finish_runs` "auto": the budget the noise calls for, printed
   per row, at most `photo_finish_max_runs` 120). Printed: the share of boards with the true
   outcome, *wrong* (a sure comparison or a decided move contradicts the true durations:
   noise decided), *undecided* (another outcome, but only where the timing-free rule
   decided), the runs used, and the named peer's wrong share (the single-run rule: one run
   each, exact floats).

    .venv/bin/python benchmarks/bench_photo_finish.py [--runs 30] [--trials 2000] [--budget 10]
        [--seeds 2000] [--boards-budget auto] [--jobs 2] [--boards-only | --pairs-only]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import random
import statistics
import subprocess
import sys
import time

from board_sim import SCENARIOS, simulate  # type: ignore[import-not-found]

from podium.rules.efficiency import Noise, pooled_noise
from podium.rules.looks import photo_finish_budget
from podium.rules.ranking import Entry, RerankRule, contested, rank

WORK = "s = 0\nfor i in range(1_500_000):\n    s += i * i\n"
THRESHOLD = 0.05
GAINS = (0.02, 0.05, 0.10, 0.20)


def measure(runs: int) -> list[float]:
    """Wall times of a fresh CPU-bound process, as a test phase is timed."""
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", WORK], check=True)
        walls.append(time.perf_counter() - start)
    return walls


def decide(
    slow: list[float], fast: list[float], rule: RerankRule, prior: Noise, looks: int
) -> tuple[str, bool]:
    """The rule's decision on the faster team ("moved", "refused", "undecided", or
    "unexamined": not surely the more efficient, so it got no bonus), and whether a
    contested comparison is left for a photo finish."""
    entries = [
        Entry("slow", 80.0, statistics.median(slow), 0.0, tuple(slow), looks),
        Entry("fast", 79.0, statistics.median(fast), 1.0, tuple(fast), looks),
    ]
    noise = pooled_noise([slow, fast], prior)
    moves = [d for p in rank(entries, rule, noise) for d in p.moves if d.team == "fast"]
    return (moves[0].kind if moves else "unexamined"), bool(contested(entries, rule, noise))


def photo_finish(
    draw: random.Random,
    walls: list[float],
    gain: float,
    rule: RerankRule,
    prior: Noise,
    budget: int,
) -> tuple[str, int]:
    """One comparison: a run each, then interleaved re-measurements while contested (the
    move undecided, or the efficiency order not sure)."""

    def run(scale: float) -> float:
        return draw.choice(walls) * scale

    slow, fast = [run(1.0)], [run(1 - gain)]
    kind, open_ = decide(slow, fast, rule, prior, 0)
    while open_ and len(slow) <= budget:
        slow.append(run(1.0))
        fast.append(run(1 - gain))
        kind, open_ = decide(slow, fast, rule, prior, len(slow) - 1)
    return kind, len(slow)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs to learn the noise")
    parser.add_argument("--trials", type=int, default=2000, help="comparisons per true gain")
    parser.add_argument("--budget", type=int, default=10, help="photo finish runs (pairs)")
    parser.add_argument("--boards-budget", default="auto", help='photo_finish_runs: N or "auto"')
    parser.add_argument("--jobs", type=int, default=2, help="processes for the board rows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=2000, help="boards per noise and scenario")
    parser.add_argument("--boards-only", action="store_true", help="skip steps 1-2")
    parser.add_argument("--pairs-only", action="store_true", help="skip step 3")
    args = parser.parse_args()
    if not args.boards_only:
        pairs(args)
    if not args.pairs_only:
        boards(args.seeds, args.boards_budget, args.jobs)


def _row(job: tuple[str, float, int, str]) -> str:
    """One table row (a worker process computes it)."""
    name, sigma, seeds, setting = job
    rule = RerankRule()
    prior = Noise(sigma, 29, "a calibration of 30 runs")
    budget = photo_finish_budget(
        int(setting) if setting.isdigit() else setting, prior, rule.min_efficiency_gain, rule.risk
    ).runs
    photo, single = simulate(name, sigma, seeds, budget, rule)
    used = photo.runs or [0]
    return (
        f"{name:<9}  {sigma:>7.2f}  {budget:>6}  {photo.right / seeds:>6.1%}  "
        f"{photo.wrong / seeds:>6.2%}  {photo.undecided / seeds:>9.1%}  "
        f"{statistics.mean(used):>9.1f}  {statistics.median(used):>6.0f}  "
        f"{max(used):>4}  {single.wrong / seeds:>16.1%}"
    )


def boards(seeds: int, setting: str, jobs: int) -> None:
    """Step 3: whole boards, photo finish against the single-run rule."""
    rule = RerankRule()
    print(f"\nwhole boards: {seeds} seeds per row; photo_finish_runs {setting!r} "
          f"(the budget per team at each noise); rule {rule}")  # fmt: skip
    print(
        "scenario   sd(log)  budget   right   wrong  undecided  runs mean  median  max"
        "  single-run wrong"
    )
    rows = [(name, sigma, seeds, setting) for name in SCENARIOS for sigma in (0.05, 0.1, 0.2)]
    with multiprocessing.Pool(jobs) as pool:
        for line in pool.imap(_row, rows):
            print(line, flush=True)
    print(
        "right: the outcome of the true durations; wrong: noise decided (a sure comparison "
        "or a decided move against the truth); undecided: the timing-free rule decided; "
        "runs: re-measurement runs per board, all teams together"
    )


def pairs(args: argparse.Namespace) -> None:
    """Steps 1-2: this machine's noise, and one pair of teams."""

    walls = measure(args.runs)
    logs = [math.log(w) for w in walls]
    sigma = statistics.stdev(logs)
    centre = statistics.median(walls)
    q = statistics.quantiles(walls, n=10)
    print(f"machine noise: {args.runs} runs of a CPU-bound process, median {centre * 1000:.1f} ms")
    print(f"  sd of log wall time {sigma:.3f}; 10th-90th percentile {q[0] * 1000:.1f}-"
          f"{q[-1] * 1000:.1f} ms ({(q[-1] - q[0]) / centre:.1%} of the median)")  # fmt: skip
    prior = Noise(sigma, args.runs - 1, "this run's calibration")
    rule = RerankRule(bonus_places=(1,), max_score_gap=10.0, min_efficiency_gain=THRESHOLD)
    draw = random.Random(args.seed)

    print(f"\nthreshold {THRESHOLD:.0%}; {args.trials} comparisons per true gain; "
          f"photo finish budget {args.budget} runs each")  # fmt: skip
    header = "true gain  single-run errors  photo-finish errors  (unexamined)  undecided  runs median  p90"
    print(header)
    for gain in GAINS:
        should_move = gain > THRESHOLD
        single_wrong = 0
        photo_wrong = undecided = unexamined = 0
        used = []
        for _ in range(args.trials):
            single = draw.choice(walls) * (1 - gain) < draw.choice(walls) * (1 - THRESHOLD)
            single_wrong += single != should_move
            kind, runs = photo_finish(draw, walls, gain, rule, prior, args.budget)
            # unexamined: the faster team was not surely the more efficient (no bonus, by the
            # timing-free rule): no move, like an undecided one
            undecided += kind in ("undecided", "unexamined")
            unexamined += kind == "unexamined"
            photo_wrong += (kind == "moved") != should_move and kind in ("moved", "refused")
            used.append(runs)
        p90 = statistics.quantiles(used, n=10)[-1]
        print(
            f"{gain:>9.0%}  {single_wrong / args.trials:>17.1%}  "
            f"{photo_wrong / args.trials:>19.1%}  {unexamined / args.trials:>12.1%}  "
            f"{undecided / args.trials:>9.1%}  "
            f"{statistics.median(used):>11.0f}  {p90:>3.0f}"
        )
    print(
        "\nan error moves a team that is not more than 5% faster, or keeps one that is; "
        "undecided means no move, and the reason says the gain is not sure"
    )


if __name__ == "__main__":
    main()
