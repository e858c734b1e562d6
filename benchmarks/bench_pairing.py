"""Forming teams: solve time of `podium.teams.pairing` (OR-Tools CP-SAT) for 20, 40 and 80 people.

Rosters are random but fixed by seed: half senior, 70% with topic experience, skills 1–10 to
0.1, and 40% of all pairs with 1–3 past collaborations. Each size is solved `--repeats` times
and the median wall time is reported, with the status of all three lexicographic stages.
The named peer, measured in the same run, is SciPy's `milp` (HiGHS) on the same model (same
candidate pairs, person-level trio, three lexicographic stages, same seeded tie-break weights,
big-M for the strength window); it must reach the same objective values and, when both are
optimal, the same teams.

    .venv/bin/python benchmarks/bench_pairing.py [--sizes 20 40 80 39] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from itertools import combinations

import numpy as np

from podium.teams.pairing import pair_roster
from podium.teams.roster import Person, Roster, pair_key
from podium.teams.rules import (
    FAMILIES,
    STRENGTH_UNIT,
    candidate_pairs,
    seniors_go_round,
    team_strength,
)


def make_roster(n: int, seed: int = 1) -> Roster:
    rng = random.Random(seed)
    people = tuple(
        Person(f"P{i:02d}", i + 2, "senior" if i % 2 == 0 else "junior", i % 2 == 0,
               int(rng.random() < 0.7), round(rng.uniform(1, 10), 1))
        for i in range(n)
    )  # fmt: skip
    collab = {
        pair_key(a.name, b.name): rng.randint(1, 3)
        for a, b in combinations(people, 2)
        if rng.random() < 0.4
    }
    return Roster(people, f"random-{n}", frozenset(), frozenset(), collab)


def solve_milp(roster: Roster, seed: int, time_limit: float) -> tuple[list[float], bool, set[frozenset[str]]]:  # fmt: skip
    """The same three-stage model with scipy.optimize.milp: (stage values, optimal, teams)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import lil_matrix

    people = roster.people
    n = len(people)
    odd = n % 2 == 1
    pairs = candidate_pairs(roster, FAMILIES)
    skills = [round(p.skill * 100) for p in people]
    trio_pairs = list(combinations(range(n), 2)) if odd else []
    nx, nz, nw = len(pairs), n if odd else 0, len(trio_pairs)
    lo, hi = nx + nz + nw, nx + nz + nw + 1
    size = hi + 1
    strength = [team_strength([skills[i], skills[j]]) for i, j in pairs]
    big = 6 * 100 * max(10, max(p.skill for p in people))
    rows: list[tuple[dict[int, float], float, float]] = []
    for i in range(n):
        row = {k: 1.0 for k, (a, b) in enumerate(pairs) if i in (a, b)}
        if odd:
            row[nx + i] = 1.0
        rows.append((row, 1, 1))
    if odd:
        z = {i: nx + i for i in range(n)}
        rows.append(({z[i]: 1.0 for i in range(n)}, 3, 3))
        rows.append(({z[i]: 1.0 for i, p in enumerate(people) if not p.senior}, 1, np.inf))
        seniors = {z[i]: 1.0 for i, p in enumerate(people) if p.senior}
        rows.append((seniors, 1, np.inf) if seniors_go_round(roster) else (seniors, -np.inf, 1))
        rows.append(({z[i]: 1.0 for i, p in enumerate(people) if p.experienced}, 1, np.inf))
        for k, (i, j) in enumerate(trio_pairs):
            rows.append(({nx + nz + k: 1.0, z[i]: -1.0}, -np.inf, 0))
            rows.append(({nx + nz + k: 1.0, z[j]: -1.0}, -np.inf, 0))
        for i in range(n):
            row = {nx + nz + k: 1.0 for k, ij in enumerate(trio_pairs) if i in ij}
            rows.append(({**row, z[i]: -2.0}, 0, 0))
        trio = {z[i]: -2.0 * skills[i] for i in range(n)}
        rows.append(({lo: 1.0, **trio}, -np.inf, 0))
        rows.append(({hi: 1.0, **trio}, 0, np.inf))
    for k, value in enumerate(strength):
        rows.append(({lo: 1.0, k: big}, -np.inf, value + big))
        rows.append(({hi: 1.0, k: -big}, value - big, np.inf))
    names = roster.names()
    collab = np.zeros(size)
    for k, (i, j) in enumerate(pairs):
        collab[k] = roster.collab(names[i], names[j])
    for k, (i, j) in enumerate(trio_pairs):
        collab[nx + nz + k] = roster.collab(names[i], names[j])
    spread = np.zeros(size)
    spread[hi], spread[lo] = 1, -1
    rng = random.Random(seed)
    ties = np.zeros(size)
    ties[: nx + nz] = [rng.randrange(1_000_000) for _ in range(nx + nz)]
    integrality = np.ones(size)
    integrality[[lo, hi]] = 0
    bounds = Bounds(np.r_[np.zeros(size - 2), -np.inf, -np.inf], np.r_[np.ones(size - 2), np.inf, np.inf])  # fmt: skip
    values: list[float] = []
    optimal = True
    x = np.zeros(size)
    for c in (collab, spread, ties):
        matrix = lil_matrix((len(rows), size))
        for r, (row, _, _) in enumerate(rows):
            for col, coef in row.items():
                matrix[r, col] = coef
        cons = LinearConstraint(matrix.tocsr(), [r[1] for r in rows], [r[2] for r in rows])
        res = milp(c, integrality=integrality, bounds=bounds, constraints=cons,
                   options={"time_limit": time_limit})  # fmt: skip
        if res.x is None:
            return values, False, set()
        optimal &= res.status == 0
        x = res.x
        value = round(float(c @ x))
        values.append(value / STRENGTH_UNIT if c is spread else float(value))
        rows.append(({k: float(v) for k, v in enumerate(c) if v}, -np.inf, value + 1e-6))
    teams = {frozenset((names[i], names[j])) for k, (i, j) in enumerate(pairs) if x[k] > 0.5}
    if odd:
        teams.add(frozenset(names[i] for i in range(n) if x[nx + i] > 0.5))
    return values, optimal, teams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 40, 80])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    try:
        import scipy.optimize  # noqa: F401
    except ImportError:
        sys.exit("scipy is not installed: no peer comparison")
    summary = []
    print(
        f"{'people':>6} {'CP-SAT s':>9} {'status':>8} {'milp s':>9} {'status':>8} {'milp/CP-SAT':>11}  agree"
    )
    for n in args.sizes:
        roster = make_roster(n)
        ours, theirs = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = pair_roster(roster, seed=0, time_limit=args.time_limit)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            values, peer_optimal, peer_teams = solve_milp(roster, 0, args.time_limit)
            theirs.append(time.perf_counter() - start)
        mine = [s.value for s in result.stages]
        same_values = len(values) == 3 and all(
            a is not None and abs(a - b) < 1e-6 for a, b in zip(mine, values, strict=True)
        )
        same_teams = peer_teams == {frozenset(t.members) for t in result.teams}
        a, b = statistics.median(ours), statistics.median(theirs)
        peer_status = "OPTIMAL" if peer_optimal else "LIMIT"
        agree = "same values" + (" and teams" if same_teams else "") if same_values else "DIFFER"
        print(
            f"{n:>6} {a:>9.3f} {result.status:>8} {b:>9.3f} {peer_status:>8} {b / a:>10.1f}x  {agree}"
        )
        summary.append({"people": n, "cpsat_s": round(a, 4), "cpsat_status": result.status,
                        "milp_s": round(b, 4), "milp_status": peer_status,
                        "ratio": round(b / a, 2), "collaborations": mine[0], "spread": mine[1],
                        "agree": same_values})  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
