"""The hard rules of forming teams, and the checks that explain a roster no pairing fits.

Pure functions over a roster: which pairs may form a team, and counting arguments (seniors
and juniors, experienced people, must-pair chains) that name the rule making a roster
infeasible before any solver runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

from podium.teams.roster import Person, Roster, pair_key

SKILL_SCALE = 100  # skills are compared to 0.01
STRENGTH_UNIT = 6 * SKILL_SCALE  # 6 × mean is a whole number for pairs (3 × sum) and trios (2 ×)
FAMILIES = ("mixed", "experience", "must_pair", "must_not_pair")
RULES = {
    "mixed": "senior–junior teams",
    "experience": "an experienced member in every team",
    "must_pair": "must_pair",
    "must_not_pair": "must_not_pair",
}


def team_count(n: int) -> int:
    return n // 2


def scaled_skills(people: Sequence[Person]) -> list[int]:
    return [round(p.skill * SKILL_SCALE) for p in people]


def team_strength(skills: Sequence[int]) -> int:
    """6 × the mean scaled skill: 3 × sum for a pair, 2 × sum for a trio; whole and comparable."""
    return (STRENGTH_UNIT // SKILL_SCALE // len(skills)) * sum(skills)


def pair_allowed(roster: Roster, a: Person, b: Person, families: Iterable[str]) -> bool:
    """Whether a and b may form a pair under the rules of `families`."""
    key = pair_key(a.name, b.name)
    seniors = a.senior + b.senior
    breaks = {
        "mixed": seniors == 2 or (seniors == 0 and seniors_go_round(roster)),
        "experience": not (a.experienced or b.experienced),
        "must_pair": any((a.name in r) != (b.name in r) for r in roster.must_pair if r != key),
        "must_not_pair": key in roster.must_not_pair,
    }
    return not any(breaks[f] for f in families)


def candidate_pairs(roster: Roster, families: Iterable[str] = FAMILIES) -> list[tuple[int, int]]:
    """Every pair (indices into roster.people) that keeps the rules of `families`."""
    fams = tuple(families)
    people = roster.people
    return [
        (i, j)
        for i, j in combinations(range(len(people)), 2)
        if pair_allowed(roster, people[i], people[j], fams)
    ]


def seniors_go_round(roster: Roster) -> bool:
    """Enough seniors for a senior in every team (else: at most one senior per team)."""
    return sum(p.senior for p in roster.people) >= team_count(len(roster.people))


def _must_pair_groups(roster: Roster) -> list[list[str]]:
    """People linked by must_pair chains (connected components with 2+ people)."""
    parent = {p.name: p.name for p in roster.people}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(roster.must_pair):
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for p in roster.people:
        groups.setdefault(find(p.name), []).append(p.name)
    return [g for g in groups.values() if len(g) > 1]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def count_problems(roster: Roster) -> list[str]:
    """Infeasibility that direct counting proves, in words, before any solving."""
    n = len(roster.people)
    if n < 2:
        return [f"{n} person on the roster: a team needs at least 2"]
    teams = team_count(n)
    seniors = sum(p.senior for p in roster.people)
    juniors = n - seniors
    experienced = sum(p.experienced for p in roster.people)
    out: list[str] = []
    if experienced == 0:
        out.append("nobody has topic experience, and every team needs an experienced member")
    elif experienced < teams:
        who = "person" if experienced == 1 else "people"
        out.append(f"{teams} teams but only {experienced} experienced {who}: one per team needed")
    odd = n % 2  # the trio of an odd head-count may hold two seniors
    if juniors == 0:
        out.append(f"all {n} people are senior: every team needs a junior")
    elif seniors > juniors + odd:
        out.append(
            f"{seniors} seniors but only {_plural(juniors, 'junior')}: at most {juniors} mixed "
            + ("teams (the trio may hold 2 seniors)" if odd else "pairs")
            + ", and no team may be senior-only"
        )
    trios = 0
    for group in _must_pair_groups(roster):
        chain = "–".join(group)
        if len(group) > 3:
            out.append(f"must_pair links {len(group)} people ({chain}); a team has at most 3")
        elif len(group) == 3:
            trios += 1
            if n % 2 == 0:
                out.append(f"must_pair links 3 people ({chain}) but an even head-count has no trio")
        for a, b in combinations(group, 2):
            if pair_key(a, b) in roster.must_not_pair:
                out.append(f"must_pair chains {chain} together, but {a} must not pair with {b}")
    if trios > 1 and n % 2 == 1:
        out.append(f"must_pair links {trios} groups of 3, but there is only one trio")
    return out


def stranded_people(roster: Roster, pairs: Sequence[tuple[int, int]]) -> list[str]:
    """People no allowed pair can hold (beyond the 3 the trio could take), with the blockers."""
    covered = {i for p in pairs for i in p}
    left = [i for i in range(len(roster.people)) if i not in covered]
    if len(roster.people) % 2 and len(left) <= 3:
        return []
    out = []
    for i in left:
        blockers = [
            RULES[f]
            for f in FAMILIES
            if any(i in p for p in candidate_pairs(roster, [g for g in FAMILIES if g != f]))
        ]
        because = " or ".join(blockers) if blockers else "the rules together"
        out.append(f"{roster.people[i].name} has no possible partner: every one breaks {because}")
    return out


# -- the model ------------------------------------------------------------------------------
