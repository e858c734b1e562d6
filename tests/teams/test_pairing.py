"""Pairing: hand-checked optima, a brute force over every partition, infeasibility explained."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from itertools import combinations

import pytest

from podium.core.errors import PodiumError
from podium.teams.pairing import InfeasibleRoster, Pairing, pair_roster
from podium.teams.roster import Person, Roster, pair_key


def person(
    name: str,
    senior: bool,
    experience: int,
    skill: float,
    *,
    must: Sequence[str] = (),
    must_not: Sequence[str] = (),
) -> Person:
    return Person(
        name=name,
        row=0,
        seniority="senior" if senior else "junior",
        senior=senior,
        experience=experience,
        skill=skill,
        must_pair=tuple(must),
        must_not_pair=tuple(must_not),
    )


def roster(
    people: Sequence[Person],
    collab: dict[tuple[str, str], int] | None = None,
) -> Roster:
    must = frozenset(pair_key(p.name, o) for p in people for o in p.must_pair)
    must_not = frozenset(pair_key(p.name, o) for p in people for o in p.must_not_pair)
    counts = {pair_key(a, b): c for (a, b), c in (collab or {}).items()}
    return Roster(tuple(people), "test", must, must_not, counts)


def teams_of(result: Pairing) -> set[frozenset[str]]:
    return {frozenset(t.members) for t in result.teams}


# -- the brute force: every partition into pairs (plus one trio when odd), rules written anew ---


def partitions(items: Sequence[int]) -> Iterator[list[tuple[int, ...]]]:
    if not items:
        yield []
        return
    if len(items) % 2:
        for trio in combinations(items, 3):
            rest = [i for i in items if i not in trio]
            for tail in partitions_even(rest):
                yield [trio, *tail]
    else:
        yield from partitions_even(list(items))


def partitions_even(items: list[int]) -> Iterator[list[tuple[int, ...]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k, other in enumerate(rest):
        for tail in partitions_even(rest[:k] + rest[k + 1 :]):
            yield [(first, other), *tail]


def keeps_rules(r: Roster, teams: list[tuple[int, ...]]) -> bool:
    seniors_total = sum(p.senior for p in r.people)
    enough = seniors_total >= len(teams)
    team_of = {r.people[i].name: k for k, t in enumerate(teams) for i in t}
    for t in teams:
        members = [r.people[i] for i in t]
        seniors = sum(p.senior for p in members)
        if seniors == len(members) or (seniors == 0 if enough else seniors > 1):
            return False
        if not any(p.experience >= 1 for p in members):
            return False
    if any(team_of[a] != team_of[b] for a, b in r.must_pair):
        return False
    return all(team_of[a] != team_of[b] for a, b in r.must_not_pair)


def brute_force(r: Roster) -> tuple[int, float] | None:
    """(collaborations, spread) of the lexicographic optimum, or None when infeasible."""
    best: tuple[int, float] | None = None
    for teams in partitions(list(range(len(r.people)))):
        if not keeps_rules(r, teams):
            continue
        collab = sum(
            r.collab(r.people[a].name, r.people[b].name)
            for t in teams
            for a, b in combinations(t, 2)
        )
        strengths = [sum(r.people[i].skill for i in t) / len(t) for t in teams]
        value = (collab, round(max(strengths) - min(strengths), 9))
        best = value if best is None or value < best else best
    return best


def random_roster(rng: random.Random, n: int) -> Roster:
    names = [f"P{i}" for i in range(n)]
    people = []
    for name in names:
        others = [o for o in names if o != name]
        must_not = rng.sample(others, 1) if rng.random() < 0.2 else []
        must = [o for o in rng.sample(others, 1) if o not in must_not] if rng.random() < 0.1 else []
        people.append(
            person(
                name,
                rng.random() < 0.5,
                rng.choice([0, 1, 1, 2]),
                rng.randint(1, 10),
                must=must,
                must_not=must_not,
            )
        )
    # drop rules that contradict one another (the roster reader refuses those)
    people = [
        Person(**{**p.__dict__, "must_not_pair": tuple(
            o for o in p.must_not_pair
            if not any(pair_key(p.name, o) == pair_key(q.name, m) for q in people for m in q.must_pair)
        )})
        for p in people
    ]  # fmt: skip
    collab = {(a, b): rng.randint(1, 3) for a, b in combinations(names, 2) if rng.random() < 0.3}
    return roster(people, collab)


def test_random_rosters_match_the_brute_force() -> None:
    rng = random.Random(20240607)
    solved = infeasible = 0
    for _ in range(100):
        r = random_roster(rng, rng.randint(2, 10))
        expected = brute_force(r)
        if expected is None:
            with pytest.raises(InfeasibleRoster):
                pair_roster(r, workers=1)
            infeasible += 1
            continue
        result = pair_roster(r, workers=1)
        assert result.optimal
        index = {p.name: i for i, p in enumerate(r.people)}
        chosen = [tuple(index[m] for m in t.members) for t in result.teams]
        assert sorted(i for t in chosen for i in t) == list(range(len(r.people)))
        assert keeps_rules(r, chosen)
        assert (result.total_collaborations, result.spread) == (
            expected[0],
            pytest.approx(expected[1]),
        )
        solved += 1
    assert solved >= 20 and infeasible >= 5  # both kinds of instance were exercised


# -- hand-checked rosters ----------------------------------------------------------------------


def test_a_hand_checked_roster_of_four() -> None:
    # Only senior–junior pairs are allowed: {Ann+Cy, Bo+Dee} (strengths 6, 6) or {Ann+Dee, Bo+Cy}
    # (strengths 9, 3). Ann and Cy worked together once, so the balanced option loses: new bonds
    # come first.
    people = [
        person("Ann", True, 1, 9),
        person("Bo", True, 0, 3),
        person("Cy", False, 1, 3),
        person("Dee", False, 1, 9),
    ]
    result = pair_roster(roster(people, {("Ann", "Cy"): 1}))
    assert teams_of(result) == {frozenset({"Ann", "Dee"}), frozenset({"Bo", "Cy"})}
    assert result.total_collaborations == 0 and result.spread == pytest.approx(6.0)
    assert result.optimal and [s.status for s in result.stages] == ["OPTIMAL"] * 3
    without_history = pair_roster(roster(people))
    assert teams_of(without_history) == {frozenset({"Ann", "Cy"}), frozenset({"Bo", "Dee"})}
    assert without_history.spread == 0
    why = " ".join(" ".join(t.reasons()) for t in without_history.teams)
    assert "senior Ann with junior Cy" in why and "experienced: Ann, Cy" in why


def test_an_odd_roster_makes_one_trio_by_the_mean() -> None:
    people = [
        person("S1", True, 1, 8),
        person("S2", True, 1, 6),
        person("J1", False, 0, 4),
        person("J2", False, 0, 2),
        person("J3", False, 1, 6),
    ]
    result = pair_roster(roster(people))
    sizes = sorted(len(t.members) for t in result.teams)
    assert sizes == [2, 3] and result.optimal
    # best: S1+J2 (5) and S2+J1+J3 (mean 5.33) or S2+J1 (5) and S1+J2+J3 (5.33) -> spread 1/3
    assert result.spread == pytest.approx(1 / 3)
    assert any("one trio" in n for n in result.notes)
    trio = next(t for t in result.teams if len(t.members) == 3)
    assert trio.seniors and trio.juniors


def test_three_people_are_one_trio() -> None:
    result = pair_roster(
        roster([person("A", True, 1, 5), person("B", False, 0, 5), person("C", False, 0, 5)])
    )
    assert teams_of(result) == {frozenset({"A", "B", "C"})}


def test_few_seniors_are_spread_one_per_team() -> None:
    people = [person("S", True, 1, 5)] + [person(f"J{i}", False, 1, 5) for i in range(5)]
    result = pair_roster(roster(people))
    assert sum(bool(t.seniors) for t in result.teams) == 1
    assert any("all junior" in n for n in result.notes)
    assert any("all junior" in " ".join(t.reasons()) for t in result.teams)


def test_must_pair_is_kept_and_reported() -> None:
    people = [
        person("S1", True, 1, 9, must=["J1"]),
        person("S2", True, 1, 1),
        person("J1", False, 1, 9),
        person("J2", False, 1, 1),
    ]
    result = pair_roster(roster(people))  # the balanced S1+J2 / S2+J1 is overruled
    assert frozenset({"S1", "J1"}) in teams_of(result)
    assert any("must pair J1–S1 kept" in " ".join(t.reasons()) for t in result.teams)


# -- infeasible rosters ------------------------------------------------------------------------


def explain(r: Roster) -> str:
    with pytest.raises(InfeasibleRoster) as err:
        pair_roster(r)
    return err.value.message


def test_nobody_experienced() -> None:
    msg = explain(roster([person("A", True, 0, 5), person("B", False, 0, 5)]))
    assert "nobody has topic experience" in msg


def test_fewer_experienced_people_than_teams() -> None:
    people = [person(f"S{i}", True, int(i == 0), 5) for i in range(3)]
    people += [person(f"J{i}", False, 0, 5) for i in range(3)]
    assert "3 teams but only 1 experienced person: one per team needed" in explain(roster(people))


def test_more_seniors_than_juniors() -> None:
    people = [person(f"S{i}", True, 1, 5) for i in range(4)]
    people += [person("J1", False, 1, 5), person("J2", False, 1, 5)]
    msg = explain(roster(people))
    assert "4 seniors but only 2 juniors: at most 2 mixed pairs" in msg
    # an odd head-count lets the trio hold two seniors: 3 seniors + 2 juniors work, 4 + 1 do not
    seniors = [person(f"S{i}", True, 1, 5) for i in range(3)]
    result = pair_roster(roster([*seniors, person("J1", False, 1, 5), person("J2", False, 1, 5)]))
    trio = next(t for t in result.teams if len(t.members) == 3)
    assert len(trio.seniors) == 2 and len(trio.juniors) == 1
    msg = explain(roster([*seniors, person("S3", True, 1, 5), person("J1", False, 1, 5)]))
    assert "4 seniors but only 1 junior: at most 1 mixed teams (the trio may hold 2 seniors)" in msg


def test_must_pair_chains_and_self_contradictions() -> None:
    people = [
        person("A", True, 1, 5, must=["B"]),
        person("B", False, 1, 5, must=["C"]),
        person("C", False, 1, 5, must_not=["A"]),
        person("D", True, 1, 5),
    ]
    msg = explain(roster(people))
    assert "must_pair links 3 people (A–B–C) but an even head-count has no trio" in msg
    assert "must_pair chains A–B–C together, but A must not pair with C" in msg


def test_someone_nobody_may_pair_with() -> None:
    people = [
        person("S1", True, 1, 5, must_not=["J1", "J2"]),
        person("S2", True, 1, 5),
        person("J1", False, 1, 5),
        person("J2", False, 1, 5),
    ]
    msg = explain(roster(people))
    assert (
        "S1 has no possible partner: every one breaks senior–junior teams or must_not_pair" in msg
    )


def test_a_conflict_only_the_solver_finds_is_named_by_rule() -> None:
    # S1 and S2 may only pair with J1: nobody is stranded, but no pairing exists.
    people = [
        person("S1", True, 1, 5, must_not=["J2", "J3"]),
        person("S2", True, 1, 5, must_not=["J2", "J3"]),
        person("S3", True, 1, 5),
        person("J1", False, 1, 5),
        person("J2", False, 1, 5),
        person("J3", False, 1, 5),
    ]
    msg = explain(roster(people))
    assert "it becomes possible without: senior–junior teams | must_not_pair" in msg


# -- size and reproducibility --------------------------------------------------------------------


def big_roster(n: int, seed: int = 7) -> Roster:
    rng = random.Random(seed)
    people = [
        person(f"P{i:02d}", i % 2 == 0, int(rng.random() < 0.7), round(rng.uniform(1, 10), 1))
        for i in range(n)
    ]
    collab = {
        (a.name, b.name): rng.randint(1, 3)
        for a, b in combinations(people, 2)
        if rng.random() < 0.4
    }
    return roster(people, collab)


@pytest.mark.parametrize("n", [40, 39])
def test_forty_people_are_solved_to_optimality_in_seconds(n: int) -> None:
    result = pair_roster(big_roster(n), time_limit=20)
    assert result.optimal and result.seconds < 20
    assert len(result.teams) == n // 2
    assert all(t.seniors and t.juniors and t.experienced for t in result.teams)


def test_the_same_seed_gives_the_same_teams() -> None:
    r = big_roster(24, seed=3)
    first = pair_roster(r, seed=5)
    again = pair_roster(r, seed=5, workers=1)
    assert [t.members for t in first.teams] == [t.members for t in again.teams]
    assert first.as_dict()["teams"] == again.as_dict()["teams"]


def test_a_time_limit_too_short_is_reported_not_mistaken_for_infeasible() -> None:
    try:
        result = pair_roster(big_roster(80), time_limit=0.001, workers=1)
    except InfeasibleRoster:
        pytest.fail("a timeout is not infeasibility")
    except PodiumError as err:
        assert "--time-limit" in err.message
    else:  # the machine was fast enough for some stage: then it must not claim optimality
        assert result.optimal == all(s.status == "OPTIMAL" for s in result.stages)
