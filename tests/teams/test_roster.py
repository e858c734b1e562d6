"""Reading the roster and collaborations CSV files: aliases, rules, and errors that name the row."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.core.errors import DataError
from podium.teams.roster import (
    load_roster,
    parse_experience,
    parse_seniority,
    read_collaborations,
    read_roster,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster"


def write(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip(), encoding="utf-8")
    return path


GOOD = """
Full Name,Years,Topic-Experience,Skill Rating,Must Pair,Must Not Pair
Ann,senior,yes,8,,
Bo,2,no,5,Ann,
Cy,6,2,7.5,,dee
Dee,mid,0,4,,
"""


def test_headers_are_matched_case_insensitively_with_aliases(tmp_path: Path) -> None:
    roster = read_roster(write(tmp_path, GOOD))
    ann, bo, cy, dee = roster.people
    assert [p.name for p in roster.people] == ["Ann", "Bo", "Cy", "Dee"]
    assert (ann.senior, bo.senior, cy.senior, dee.senior) == (True, False, True, False)
    assert (ann.experience, bo.experience, cy.experience, dee.experience) == (1, 0, 2, 0)
    assert cy.skill == 7.5 and cy.experienced and not dee.experienced
    assert roster.must_pair == {("Ann", "Bo")}
    assert roster.must_not_pair == {("Cy", "Dee")}  # names resolved case-insensitively
    assert [p.row for p in roster.people] == [2, 3, 4, 5]


def test_seniority_threshold_and_levels() -> None:
    assert parse_seniority("5") and parse_seniority("12.5") and not parse_seniority("4.9")
    assert parse_seniority("Lead") and parse_seniority("principal")
    assert not parse_seniority("mid") and not parse_seniority("Junior")
    assert parse_seniority("3", senior_years=3)
    with pytest.raises(ValueError, match="neither a number of years nor one of"):
        parse_seniority("wizard")
    assert parse_experience("Yes") == 1 and parse_experience("n") == 0
    assert parse_experience("3") == 3
    with pytest.raises(ValueError, match="yes/no"):
        parse_experience("1.5")


def test_missing_columns_list_what_is_missing_and_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "name,level\nAnn,senior\n")
    with pytest.raises(DataError) as err:
        read_roster(path)
    msg = err.value.message
    assert f"{path}:1" in msg and "missing column(s) experience, skill" in msg
    assert "topic_experience" in msg and "skill_rating" in msg


def test_duplicate_people_name_both_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path, "name,seniority,experience,skill\nAnn,senior,yes,8\nBo,1,no,3\nann,2,no,3\n"
    )
    with pytest.raises(DataError, match=r"'ann' is listed twice \(rows 2 and 4\)") as err:
        read_roster(path)
    assert err.value.where == f"{path}:4"


@pytest.mark.parametrize(
    ("rows", "match", "line"),
    [
        (
            "Ann,senior,yes,8,Bo,Bo\nBo,1,no,3,,",
            r"both in must_pair and must_not_pair \(row 2\)",
            2,
        ),
        (
            "Ann,senior,yes,8,Bo,\nBo,1,no,3,,Ann",
            r"must_pair and must_not_pair \(rows 2 and 3\)",
            3,
        ),
        ("Ann,senior,yes,8,Ann,\nBo,1,no,3,,", "names Ann themself", 2),
        (
            "Ann,senior,yes,8,Boo,\nBo,1,no,3,,",
            "(?s)'Boo', who is not on the roster.*did you mean 'Bo'",
            2,
        ),
        ("Ann,senior,yes,8,,\nBo,wizard,no,3,,", "Bo: seniority 'wizard'", 3),
        ("Ann,senior,yes,eight,,\nBo,1,no,3,,", "Ann: skill 'eight' is not a number", 2),
        ("Ann,senior,,8,,\nBo,1,no,3,,", "Ann: the experience is empty", 2),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, rows: str, match: str, line: int) -> None:
    path = write(tmp_path, f"name,seniority,experience,skill,must_pair,must_not_pair\n{rows}\n")
    with pytest.raises(DataError, match=match) as err:
        read_roster(path)
    assert err.value.where == f"{path}:{line}"


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the file is empty"):
        read_roster(write(tmp_path, "\n"))
    with pytest.raises(DataError, match="lists nobody"):
        read_roster(write(tmp_path, "name,seniority,experience,skill\n"))
    with pytest.raises(DataError, match="cannot read"):
        read_roster(tmp_path / "nope.csv")


def test_collaborations_add_up_and_default_to_one(tmp_path: Path) -> None:
    roster = read_roster(write(tmp_path, GOOD))
    path = write(tmp_path, "Person A,Person B,Count\nann,Bo,2\nBo,Ann,1\nCy,Dee,0\n", "c.csv")
    assert read_collaborations(path, roster) == {("Ann", "Bo"): 3, ("Cy", "Dee"): 0}
    path = write(tmp_path, "a,b\nAnn,Cy\nAnn,Cy\n", "c2.csv")
    assert read_collaborations(path, roster) == {("Ann", "Cy"): 2}


@pytest.mark.parametrize(
    ("text", "match", "line"),
    [
        (
            "person_a,person_b,count\nAnn,Bo,1\nAnn,Cyy,1\n",
            r"(?s)'Cyy' is not on the roster.*'Cy'",
            3,
        ),
        ("person_a,person_b,count\nAnn,ann,1\n", "Ann is paired with themself", 2),
        ("person_a,person_b,count\nAnn,Bo,-1\n", "count '-1' is not a whole number", 2),
        ("person_a,count\nAnn,1\n", "missing column.*person_b", 1),
    ],
)
def test_collaboration_errors_name_the_row(
    tmp_path: Path, text: str, match: str, line: int
) -> None:
    roster = read_roster(write(tmp_path, GOOD))
    path = write(tmp_path, text, "c.csv")
    with pytest.raises(DataError, match=match) as err:
        read_collaborations(path, roster)
    assert err.value.where == f"{path}:{line}"


def test_the_example_roster_loads() -> None:
    roster = load_roster(EXAMPLE / "roster.csv", EXAMPLE / "collaborations.csv")
    assert len(roster.people) == 12
    assert roster.collab("Carla Dias", "Ana Lima") == 3
    assert ("Dev Patel", "Emma Stone") in roster.must_pair
