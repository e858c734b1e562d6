"""The roster of people to form teams from, and who worked with whom: CSV in, checked models out.

Roster columns (header names are matched case-insensitively; spaces and dashes count as `_`):

- `name` (or `person`, `member`, `full_name`): unique, case-insensitively.
- `seniority` (or `level`, `years`, ...): a level word or a number of years. Senior means a level
  in `SENIOR_LEVELS` or at least `senior_years` years (default 5); everyone else (junior, mid,
  intern, fewer years) counts as junior: the rule pairs the senior side with the junior side.
- `experience` (or `topic_experience`, `experienced`, ...): yes/no or a level 0..N; experienced
  means yes or a level of at least 1.
- `skill` (or `skill_rating`, `rating`, `strength`): a number; team strength is the mean.
- optional `must_pair` and `must_not_pair`: names separated by `;` (either side may list a rule).

Collaborations columns: `person_a`, `person_b` and optional `count` (default 1 per row); the
counts of a pair listed more than once add up.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from podium.core.errors import DataError
from podium.core.suggest import did_you_mean
from podium.teams import SENIOR_YEARS

SENIOR_LEVELS = frozenset({"senior", "sr", "lead", "staff", "principal", "expert"})
JUNIOR_LEVELS = frozenset(
    {"junior", "jr", "mid", "intermediate", "medior", "intern", "graduate", "entry", "beginner"}
)
YES = frozenset({"yes", "y", "true", "x"})
NO = frozenset({"no", "n", "false", "-"})

ROSTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "person", "member", "full_name", "participant"),
    "seniority": (
        "seniority",
        "level",
        "seniority_level",
        "years",
        "seniority_years",
        "years_experience",
        "years_of_experience",
    ),
    "experience": (
        "experience",
        "topic_experience",
        "experienced",
        "topic",
        "domain_experience",
        "topic_level",
    ),
    "skill": ("skill", "skill_rating", "rating", "strength", "score"),
    "must_pair": ("must_pair", "must_pair_with", "pair_with"),
    "must_not_pair": (
        "must_not_pair",
        "must_not_pair_with",
        "not_with",
        "never_pair",
        "avoid",
    ),
}
ROSTER_OPTIONAL = frozenset({"must_pair", "must_not_pair"})
COLLAB_COLUMNS: dict[str, tuple[str, ...]] = {
    "person_a": ("person_a", "a", "name_a", "first", "person1", "person_1"),
    "person_b": ("person_b", "b", "name_b", "second", "person2", "person_2"),
    "count": ("count", "collaborations", "times", "n", "projects"),
}
COLLAB_OPTIONAL = frozenset({"count"})


@dataclass(frozen=True)
class Person:
    """One roster row, parsed; `row` is the file line so that later errors can point at it."""

    name: str
    row: int
    seniority: str
    senior: bool
    experience: int
    skill: float
    must_pair: tuple[str, ...] = ()
    must_not_pair: tuple[str, ...] = ()

    @property
    def experienced(self) -> bool:
        return self.experience >= 1


def pair_key(a: str, b: str) -> tuple[str, str]:
    """An unordered pair of names as a dictionary key."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Roster:
    """Checked people plus symmetric rules and past collaboration counts, keyed by `pair_key`."""

    people: tuple[Person, ...]
    source: str = "roster"
    must_pair: frozenset[tuple[str, str]] = frozenset()
    must_not_pair: frozenset[tuple[str, str]] = frozenset()
    collaborations: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def collab(self, a: str, b: str) -> int:
        return self.collaborations.get(pair_key(a, b), 0)

    def names(self) -> list[str]:
        return [p.name for p in self.people]


# -- reading ---------------------------------------------------------------------------------


def _norm_header(h: str) -> str:
    return "_".join(h.strip().lower().replace("-", " ").replace("_", " ").split())


def _map_columns(
    header: Sequence[str],
    columns: Mapping[str, tuple[str, ...]],
    optional: frozenset[str],
    where: str,
) -> dict[str, int]:
    """Column index per field; a clear error listing what is missing and the accepted names."""
    normed = [_norm_header(h) for h in header]
    found: dict[str, int] = {}
    for key, aliases in columns.items():
        hits = [i for i, h in enumerate(normed) if h in aliases]
        if len(hits) > 1:
            names = ", ".join(repr(header[i]) for i in hits)
            raise DataError(
                f"columns {names} all mean {key!r}",
                where=where,
                hint="keep one of them",
            )
        if hits:
            found[key] = hits[0]
    missing = [k for k in columns if k not in found and k not in optional]
    if missing:
        accepted = "; ".join(f"{k}: {', '.join(columns[k])}" for k in missing)
        raise DataError(
            f"missing column(s) {', '.join(missing)} (header: {', '.join(header) or 'empty'})",
            where=where,
            hint=f"accepted names (any case) — {accepted}",
        )
    return found


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of the non-blank, non-comment lines of a CSV file."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as err:
        raise DataError(f"cannot read the file: {err.strerror}", where=str(path)) from None
    with handle:
        reader = csv.reader(handle)
        try:
            for cells in reader:
                if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                    continue
                yield reader.line_num, cells
        except (csv.Error, UnicodeDecodeError) as err:
            raise DataError(
                f"not a readable CSV file: {err}", where=f"{path}:{reader.line_num}"
            ) from None


def parse_seniority(text: str, senior_years: float = SENIOR_YEARS) -> bool:
    """True for the senior side: a senior level word or at least `senior_years` years."""
    word = text.strip().lower()
    if word in SENIOR_LEVELS:
        return True
    if word in JUNIOR_LEVELS:
        return False
    try:
        years = float(word)
    except ValueError:
        levels = ", ".join(sorted(SENIOR_LEVELS | JUNIOR_LEVELS))
        raise ValueError(
            f"seniority {text!r} is neither a number of years nor one of: {levels}"
        ) from None
    if not math.isfinite(years) or years < 0:
        raise ValueError(f"seniority {text!r} is not a number of years >= 0")
    return years >= senior_years


def parse_experience(text: str) -> int:
    """A topic-experience level: yes = 1, no = 0, or a whole number >= 0."""
    word = text.strip().lower()
    if word in YES:
        return 1
    if word in NO:
        return 0
    try:
        level = float(word)
    except ValueError:
        level = -1.0
    if level < 0 or not level.is_integer():
        raise ValueError(f"experience {text!r} is neither yes/no nor a whole level 0, 1, 2, …")
    return int(level)


def parse_skill(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"skill {text!r} is not a number")
    return value


def _split_names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in text.split(";") if n.strip()))


def parse_roster(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    source: str = "roster",
    senior_years: float = SENIOR_YEARS,
) -> Roster:
    """Check every row and every rule; errors name `source:line` and what to change."""
    cols = _map_columns(header, ROSTER_COLUMNS, ROSTER_OPTIONAL, f"{source}:1")
    people: list[Person] = []
    seen: dict[str, Person] = {}
    for line, cells in rows:
        where = f"{source}:{line}"

        def cell(key: str, cells: Sequence[str] = cells) -> str:
            i = cols.get(key)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        name = cell("name")
        if not name:
            raise DataError("the name is empty", where=where, hint="fill it in or delete the row")
        for key in ("seniority", "experience", "skill"):
            if not cell(key):
                raise DataError(f"{name}: the {key} is empty", where=where)
        try:
            person = Person(
                name=name,
                row=line,
                seniority=cell("seniority"),
                senior=parse_seniority(cell("seniority"), senior_years),
                experience=parse_experience(cell("experience")),
                skill=parse_skill(cell("skill")),
                must_pair=_split_names(cell("must_pair")),
                must_not_pair=_split_names(cell("must_not_pair")),
            )
        except ValueError as err:
            raise DataError(f"{name}: {err}", where=where) from None
        first = seen.get(name.casefold())
        if first is not None:
            raise DataError(
                f"{name!r} is listed twice (rows {first.row} and {line})",
                where=where,
                hint="keep one row per person",
            )
        seen[name.casefold()] = person
        people.append(person)
    if not people:
        raise DataError("the roster lists nobody", where=source)
    must, must_not = _resolve_rules(people, seen, source)
    return Roster(tuple(people), source, must, must_not)


def _resolve_rules(
    people: Sequence[Person], by_key: Mapping[str, Person], source: str
) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """Symmetric must / must-not pairs; unknown, self and contradictory rules are errors."""
    rules: dict[str, dict[tuple[str, str], int]] = {"must_pair": {}, "must_not_pair": {}}
    for p in people:
        for kind, names in (("must_pair", p.must_pair), ("must_not_pair", p.must_not_pair)):
            for other_name in names:
                where = f"{source}:{p.row}"
                other = by_key.get(other_name.casefold())
                if other is None:
                    raise DataError(
                        f"{p.name}: {kind} names {other_name!r}, who is not on the roster",
                        where=where,
                        hint=did_you_mean(other_name, [q.name for q in people]),
                    )
                if other is p:
                    raise DataError(
                        f"{p.name}: {kind} names {p.name} themself", where=where, hint="remove it"
                    )
                rules[kind].setdefault(pair_key(p.name, other.name), p.row)
    for key, row in rules["must_pair"].items():
        other_row = rules["must_not_pair"].get(key)
        if other_row is not None:
            rows = f"row {row}" if row == other_row else f"rows {row} and {other_row}"
            raise DataError(
                f"{key[0]} and {key[1]} are both in must_pair and must_not_pair ({rows})",
                where=f"{source}:{max(row, other_row)}",
                hint="decide which rule holds and delete the other",
            )
    return frozenset(rules["must_pair"]), frozenset(rules["must_not_pair"])


def read_roster(path: Path, *, senior_years: float = SENIOR_YEARS) -> Roster:
    """Read and check a roster CSV file."""
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise DataError("the file is empty", where=str(path), hint="the first line is a header")
    return parse_roster(first[1], rows, source=str(path), senior_years=senior_years)


def parse_collaborations(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    roster: Roster,
    *,
    source: str = "collaborations",
) -> dict[tuple[str, str], int]:
    """Past collaboration counts per pair of roster names; unknown names get a suggestion."""
    cols = _map_columns(header, COLLAB_COLUMNS, COLLAB_OPTIONAL, f"{source}:1")
    by_key = {p.name.casefold(): p.name for p in roster.people}
    counts: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        where = f"{source}:{line}"
        names: list[str] = []
        for key in ("person_a", "person_b"):
            i = cols[key]
            raw = cells[i].strip() if i < len(cells) else ""
            if not raw:
                raise DataError(f"{key} is empty", where=where)
            name = by_key.get(raw.casefold())
            if name is None:
                raise DataError(
                    f"{raw!r} is not on the roster ({roster.source})",
                    where=where,
                    hint=did_you_mean(raw, by_key.values()),
                )
            names.append(name)
        if names[0] == names[1]:
            raise DataError(f"{names[0]} is paired with themself", where=where)
        count = 1
        if "count" in cols:
            i = cols["count"]
            raw = cells[i].strip() if i < len(cells) else ""
            if not raw.isdigit():
                raise DataError(f"count {raw!r} is not a whole number >= 0", where=where)
            count = int(raw)
        pair = pair_key(names[0], names[1])
        counts[pair] = counts.get(pair, 0) + count
    return counts


def read_collaborations(path: Path, roster: Roster) -> dict[tuple[str, str], int]:
    """Read a collaborations CSV file against a checked roster."""
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        raise DataError("the file is empty", where=str(path), hint="the first line is a header")
    return parse_collaborations(first[1], rows, roster, source=str(path))


def load_roster(
    roster_path: Path,
    collaborations_path: Path | None = None,
    *,
    senior_years: float = SENIOR_YEARS,
) -> Roster:
    """The roster with its collaboration counts attached, ready for `podium.pairing`."""
    roster = read_roster(roster_path, senior_years=senior_years)
    if collaborations_path is None:
        return roster
    counts = read_collaborations(collaborations_path, roster)
    return Roster(roster.people, roster.source, roster.must_pair, roster.must_not_pair, counts)
