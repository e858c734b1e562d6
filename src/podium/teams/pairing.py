"""Teams of two (one trio for an odd head-count) from a roster, optimal by CP-SAT.

Hard rules, each a *family* that can be named when an instance is infeasible:

- `mixed`: every team has a junior (no senior-only team); every team has a senior while there
  are seniors to go round (seniors >= teams), otherwise no two seniors share a team, so the
  number of senior–junior teams is the largest the roster allows. With an even head-count this
  means more seniors than juniors is infeasible; the trio may hold two seniors and one junior.
- `experience`: every team has a member with topic experience.
- `must_pair` / `must_not_pair`: the roster's rules, read both ways.

Soft rules, lexicographic (the first is never traded for the second):

1. fewest past collaborations inside teams (a trio counts its three pairs);
2. smallest spread of team strength, max − min, strength = mean skill (comparable for a trio);
3. a tie-break by seeded random weights, so that one `--seed` gives one answer and another seed
   may show an equally good alternative.

The model: a boolean per allowed pair (the pair rules filter the enumeration) and, for an odd
head-count, a boolean per person "in the trio" with the trio's rules as linear constraints, so
the model grows with n² rather than n³. Every person is in exactly one team. Each stage must end
OPTIMAL for the result to be called optimal; stage values are then fixed for the next stage.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from podium.core.errors import PodiumError, RuleError
from podium.teams import DEFAULT_TIME_LIMIT
from podium.teams.roster import Roster, pair_key
from podium.teams.rules import (
    FAMILIES,
    RULES,
    STRENGTH_UNIT,
    candidate_pairs,
    count_problems,
    scaled_skills,
    seniors_go_round,
    stranded_people,
    team_count,
    team_strength,
)

DEFAULT_WORKERS = 4


class InfeasibleRoster(RuleError):
    """No pairing satisfies the hard rules; `reasons` says which rule, in words."""

    def __init__(self, reasons: Sequence[str], *, where: str | None = None) -> None:
        self.reasons = list(reasons)
        super().__init__(
            "no pairing satisfies the rules:\n" + "\n".join(f"  - {r}" for r in reasons),
            where=where,
            hint="change the roster or the rules named above",
        )


@dataclass(frozen=True)
class Team:
    """A proposed team and the facts that make it a good one."""

    members: tuple[str, ...]
    seniors: tuple[str, ...]
    juniors: tuple[str, ...]
    experienced: tuple[str, ...]
    collaborations: int
    strength: float
    skills: tuple[float, ...]
    must_pairs: tuple[tuple[str, str], ...] = ()

    def reasons(self) -> list[str]:
        """Why this team is good, one short phrase per rule."""
        if self.seniors and self.juniors:
            mix = f"senior {' + '.join(self.seniors)} with junior {' + '.join(self.juniors)}"
        else:
            mix = "all junior (not enough seniors for every team)"
        past = (
            "no past collaborations"
            if self.collaborations == 0
            else f"{self.collaborations} past collaboration(s)"
        )
        out = [mix, f"experienced: {', '.join(self.experienced)}", past]
        return out + [f"must pair {a}–{b} kept" for a, b in self.must_pairs]

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": list(self.members),
            "seniors": list(self.seniors),
            "juniors": list(self.juniors),
            "experienced": list(self.experienced),
            "collaborations": self.collaborations,
            "strength": round(self.strength, 4),
            "skills": list(self.skills),
            "why": self.reasons(),
        }


@dataclass(frozen=True)
class Stage:
    """One lexicographic stage: its solver status and best value (None: none found in time)."""

    objective: str
    status: str
    value: float | None


@dataclass(frozen=True)
class Pairing:
    """The proposal, its balance figures and how sure the solver is about it."""

    teams: tuple[Team, ...]
    status: str
    stages: tuple[Stage, ...]
    seconds: float
    seed: int
    notes: tuple[str, ...] = ()

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"

    @property
    def total_collaborations(self) -> int:
        return sum(t.collaborations for t in self.teams)

    @property
    def strength_min(self) -> float:
        return min(t.strength for t in self.teams)

    @property
    def strength_max(self) -> float:
        return max(t.strength for t in self.teams)

    @property
    def spread(self) -> float:
        return self.strength_max - self.strength_min

    def as_dict(self) -> dict[str, Any]:
        return {
            "teams": [t.as_dict() for t in self.teams],
            "balance": {
                "strength_min": round(self.strength_min, 4),
                "strength_max": round(self.strength_max, 4),
                "spread": round(self.spread, 4),
                "total_collaborations": self.total_collaborations,
            },
            "status": self.status,
            "optimal": self.optimal,
            "stages": [s.__dict__ for s in self.stages],
            "seconds": round(self.seconds, 3),
            "seed": self.seed,
            "notes": list(self.notes),
        }


# -- rules as team filters ------------------------------------------------------------------


@dataclass
class _Model:
    """Pairs are enumerated; the trio (odd head-count) is 3 chosen people, so no n³ blow-up."""

    model: Any
    pairs: list[tuple[int, int]]
    x: list[Any]  # x[k]: pairs[k] is a team
    z: list[Any]  # z[i]: person i is in the trio (empty for an even head-count)


def _build(roster: Roster, families: Iterable[str]) -> _Model:
    from ortools.sat.python import cp_model

    fams = set(families)
    people = roster.people
    n = len(people)
    index = {p.name: i for i, p in enumerate(people)}
    pairs = candidate_pairs(roster, fams)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"pair{i}_{j}") for i, j in pairs]
    z = [model.new_bool_var(f"trio{i}") for i in range(n)] if n % 2 else []
    by_person: list[list[Any]] = [[] for _ in range(n)]
    for var, (i, j) in zip(x, pairs, strict=True):
        by_person[i].append(var)
        by_person[j].append(var)
    for i, vars_ in enumerate(by_person):
        model.add_exactly_one([*vars_, *z[i : i + 1]])
    if z:
        model.add(sum(z) == 3)
        seniors = [z[i] for i, p in enumerate(people) if p.senior]
        juniors = [z[i] for i, p in enumerate(people) if not p.senior]
        if "mixed" in fams:
            model.add(sum(juniors) >= 1)
            model.add(sum(seniors) >= 1 if seniors_go_round(roster) else sum(seniors) <= 1)
        if "experience" in fams:
            model.add(sum(z[i] for i, p in enumerate(people) if p.experienced) >= 1)
        if "must_pair" in fams:
            for a, b in roster.must_pair:
                model.add(z[index[a]] == z[index[b]])
        if "must_not_pair" in fams:
            for a, b in roster.must_not_pair:
                model.add_bool_or([~z[index[a]], ~z[index[b]]])
    return _Model(model, pairs, x, z)


def _solver(seed: int, seconds: float, workers: int) -> Any:
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    return solver


def is_feasible(roster: Roster, families: Iterable[str], *, seconds: float = 5.0) -> bool:
    """Whether some pairing keeps the rules of `families` (no objective)."""
    from ortools.sat.python import cp_model

    status = _solver(0, seconds, 1).solve(_build(roster, families).model)
    return bool(status in (cp_model.OPTIMAL, cp_model.FEASIBLE))


def explain_infeasible(roster: Roster) -> list[str]:
    """Name the rule families whose removal makes the instance solvable."""
    for size in (1, 2):
        culprits = [
            drop
            for drop in combinations(FAMILIES, size)
            if is_feasible(roster, [f for f in FAMILIES if f not in drop])
        ]
        if culprits:
            rules = [" and ".join(RULES[f] for f in drop) for drop in culprits]
            return ["the rules conflict; it becomes possible without: " + " | ".join(rules)]
    return ["the rules conflict, even with any two kinds of rule dropped"]


def pair_roster(
    roster: Roster,
    *,
    seed: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = DEFAULT_WORKERS,
) -> Pairing:
    """The lexicographically best teams under the hard rules, or InfeasibleRoster saying why."""
    started = time.perf_counter()
    built = _feasible_model(roster)
    objectives = [
        ("collaborations", _collaborations(roster, built)),
        ("strength spread", _strength_spread(roster, built)),
        ("tie-break", _tie_break(built, seed)),
    ]
    deadline = started + time_limit
    solution, stages = _solve_in_order(roster, built, objectives, seed, deadline, workers)
    done = len(stages) == len(objectives) and all(s.status == "OPTIMAL" for s in stages)
    return Pairing(
        teams=tuple(_describe(roster, t) for t in sorted(_chosen(built, solution))),
        status="OPTIMAL" if done else "FEASIBLE",
        stages=tuple(stages),
        seconds=time.perf_counter() - started,
        seed=seed,
        notes=tuple(_notes(roster)),
    )


def _feasible_model(roster: Roster) -> _Model:
    """The hard rules as a model, after the checks that explain an impossible roster."""
    problems = count_problems(roster)
    if problems:
        raise InfeasibleRoster(problems, where=roster.source)
    built = _build(roster, FAMILIES)
    stranded = stranded_people(roster, built.pairs)
    if stranded:
        raise InfeasibleRoster(stranded, where=roster.source)
    return built


def _collaborations(roster: Roster, built: _Model) -> Any:
    """Past collaborations inside teams; a trio counts each of its three pairs."""
    from ortools.sat.python import cp_model

    names, model, z = roster.names(), built.model, built.z
    collab = cp_model.LinearExpr.weighted_sum(
        built.x, [roster.collab(names[i], names[j]) for i, j in built.pairs]
    )
    if z:  # w[i, j] = z_i AND z_j, linearised tightly using that the trio has 3 people
        w = {ij: model.new_bool_var(f"both{ij}") for ij in combinations(range(len(names)), 2)}
        for (i, j), var in w.items():
            model.add_implication(var, z[i])
            model.add_implication(var, z[j])
        for i in range(len(names)):
            model.add(sum(v for ij, v in w.items() if i in ij) == 2 * z[i])
        collab += cp_model.LinearExpr.weighted_sum(
            list(w.values()), [roster.collab(names[i], names[j]) for i, j in w]
        )
    return collab


def _strength_spread(roster: Roster, built: _Model) -> Any:
    """Strongest minus weakest team strength (mean skill, scaled to integers)."""
    from ortools.sat.python import cp_model

    model, z = built.model, built.z
    skills = scaled_skills(roster.people)
    strengths = [team_strength([skills[i], skills[j]]) for i, j in built.pairs]
    tri = sorted(skills)
    bounds = [*strengths, team_strength(tri[:3]), team_strength(tri[-3:])] if z else strengths
    lo = model.new_int_var(min(bounds), max(bounds), "lo")
    hi = model.new_int_var(min(bounds), max(bounds), "hi")
    for var, value in zip(built.x, strengths, strict=True):
        model.add(lo <= value).only_enforce_if(var)
        model.add(hi >= value).only_enforce_if(var)
    if z:
        trio = cp_model.LinearExpr.weighted_sum(z, [team_strength([s] * 3) // 3 for s in skills])
        model.add(lo <= trio)
        model.add(hi >= trio)
    return hi - lo


def _tie_break(built: _Model, seed: int) -> Any:
    """Seeded random weights: the same seed gives the same teams among equal ones."""
    from ortools.sat.python import cp_model

    rng = random.Random(seed)
    variables = [*built.x, *built.z]
    return cp_model.LinearExpr.weighted_sum(
        variables, [rng.randrange(1_000_000) for _ in variables]
    )


def _solve_in_order(
    roster: Roster,
    built: _Model,
    objectives: list[tuple[str, Any]],
    seed: int,
    deadline: float,
    workers: int,
) -> tuple[list[int], list[Stage]]:
    """Minimise each objective in turn, fixing the optimum of the ones before it."""
    from ortools.sat.python import cp_model

    model, variables = built.model, [*built.x, *built.z]
    stages: list[Stage] = []
    solution: list[int] = []
    for label, expr in objectives:
        model.minimize(expr)
        if solution:
            model.clear_hints()
            for var, val in zip(variables, solution, strict=True):
                model.add_hint(var, val)
        solver = _solver(seed, deadline - time.perf_counter(), workers)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE and not solution:
            raise InfeasibleRoster(explain_infeasible(roster), where=roster.source)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if solution:
                stages.append(Stage(label, solver.status_name(status), None))
                break
            raise PodiumError(
                f"the solver found no pairing in time (status {solver.status_name(status)})",
                where=roster.source,
                hint="allow more time with --time-limit",
            )
        value = round(solver.objective_value)
        solution = [int(solver.value(v)) for v in variables]
        model.add(expr <= value)
        shown = value / STRENGTH_UNIT if label == "strength spread" else float(value)
        stages.append(Stage(label, solver.status_name(status), shown))
        if status != cp_model.OPTIMAL:
            break
    return solution, stages


def _chosen(built: _Model, solution: list[int]) -> list[tuple[int, ...]]:
    chosen: list[tuple[int, ...]] = [built.pairs[k] for k in range(len(built.x)) if solution[k]]
    if built.z:
        chosen.append(tuple(i for i in range(len(built.z)) if solution[len(built.x) + i]))
    return chosen


def _describe(roster: Roster, team: tuple[int, ...]) -> Team:
    people = sorted((roster.people[i] for i in team), key=lambda p: (not p.senior, p.row))
    names = [p.name for p in people]
    return Team(
        members=tuple(names),
        seniors=tuple(p.name for p in people if p.senior),
        juniors=tuple(p.name for p in people if not p.senior),
        experienced=tuple(
            p.name if p.experience == 1 else f"{p.name} (level {p.experience})"
            for p in people
            if p.experienced
        ),
        collaborations=sum(roster.collab(a, b) for a, b in combinations(names, 2)),
        strength=team_strength(scaled_skills(people)) / STRENGTH_UNIT,
        skills=tuple(p.skill for p in people),
        must_pairs=tuple(
            pair_key(a, b) for a, b in combinations(names, 2) if pair_key(a, b) in roster.must_pair
        ),
    )


def _notes(roster: Roster) -> list[str]:
    n = len(roster.people)
    teams = team_count(n)
    seniors = sum(p.senior for p in roster.people)
    notes = []
    if n % 2:
        notes.append(f"{n} people: {teams - 1} pairs and one trio")
    if seniors < teams:
        notes.append(
            f"only {seniors} seniors for {teams} teams: {teams - seniors} team(s) are all junior"
        )
    return notes
