"""`podium team pair`: propose teams from a roster and, with --apply, create them (`podium
teams pair`, its old name, stays hidden for one release)."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from podium.cli.inert import inert
from podium.cli.options import CompetitionOpt, JsonOpt, console, emit_json, guard, open_podium
from podium.core.errors import DataError, PodiumError, RuleError
from podium.teams import DEFAULT_TIME_LIMIT, SENIOR_YEARS

if TYPE_CHECKING:
    from rich.console import Console

    from podium.teams.pairing import Pairing

teams_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Old name of `podium team` (pair only)."
)


def read_team_names(path: Path, needed: int) -> list[str]:
    """Team names, one per line (blank lines and # comments skipped); at least `needed`."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as err:
        raise DataError(f"cannot read the names file: {err.strerror}", where=str(path)) from None
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if name.casefold() in seen:
            raise DataError(
                f"team name {name!r} appears twice (lines {seen[name.casefold()]} and {number})",
                where=f"{path}:{number}",
            )
        seen[name.casefold()] = number
        names.append(name)
    if len(names) < needed:
        raise DataError(
            f"{len(names)} team name(s) for {needed} teams",
            where=str(path),
            hint=f"add {needed - len(names)} more name(s), one per line",
        )
    return names[:needed]


def prompt_team_names(result: "Pairing") -> list[str]:
    """Ask for a name per proposed team (interactive use only)."""
    names: list[str] = []
    for number, team in enumerate(result.teams, start=1):
        while True:
            name = str(typer.prompt(f"name for team {number} ({' + '.join(team.members)})"))
            name = name.strip()
            if name and name.casefold() not in {n.casefold() for n in names}:
                break
            typer.echo("a team needs a name that is not used yet")
        names.append(name)
    return names


def print_pairing(out: "Console", result: "Pairing", names: list[str] | None = None) -> None:
    """The teams with why each is good, then the balance figures and the solver's status."""

    from podium.cli.tables import Grid, Notes

    table, notes = Grid("Proposed teams"), Notes(out)
    table.column("#", right=True)
    table.column("team" if names else "members", least=16, most=40, wrap=True)
    table.column("strength", right=True)
    table.column("past", right=True)  # collaborations inside the team
    table.column("why", least=12, wrap=notes.wide, spare=not notes.wide)
    for number, team in enumerate(result.teams, start=1):
        who = " + ".join(team.members)
        table.add_row(
            str(number),
            inert(f"{names[number - 1]}: {who}" if names else who),
            f"{team.strength:.2f}",
            str(team.collaborations),
            notes.cell(f"team {number}", "; ".join(team.reasons())),
        )
    table.print(out)
    notes.print()
    out.print(
        f"balance: strength min {result.strength_min:.2f}, max {result.strength_max:.2f}, "
        f"spread {result.spread:.2f}; past collaborations inside teams: "
        f"{result.total_collaborations}"
    )
    for note in result.notes:
        out.print(f"note: {inert(note)}")
    order = " → ".join(s.objective for s in result.stages)
    colour = "green" if result.optimal else "yellow"
    out.print(
        f"solver: [{colour}]{result.status}[/] (lexicographic: {order}), "
        f"{result.seconds:.2f} s, seed {result.seed}"
    )
    if not result.optimal:
        out.print("[yellow]not proven optimal within the time limit: try --time-limit[/]")


def _apply(competition: Path, result: "Pairing", names: list[str]) -> None:
    """Create every team, after checking that no name is taken (nothing is half-applied)."""
    with open_podium(competition) as podium:
        taken = {t.name.casefold(): t.name for t in podium.setup.teams()}
        clash = [n for n in names if n.casefold() in taken]
        if clash:
            raise RuleError(
                f"team name(s) already in the competition: {', '.join(clash)}",
                hint="choose other names; nothing was created",
            )
        for name, team in zip(names, result.teams, strict=True):
            podium.setup.add_team(name, team.members)


def pair(
    roster: Annotated[
        Path,
        typer.Argument(help="roster CSV: name, seniority, experience, skill[, must_pair, …]"),
    ],
    collaborations: Annotated[
        Path | None,
        typer.Option(
            "--collaborations", help="CSV of past work together: person_a, person_b, count"
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="solver seed; picks among equally good proposals")] = 0,
    apply: Annotated[
        bool, typer.Option("--apply", help="create the teams in the competition")
    ] = False,
    names: Annotated[
        Path | None, typer.Option("--names", help="team names for --apply, one per line")
    ] = None,
    senior_years: Annotated[
        float, typer.Option(help="years of experience from which a person counts as senior")
    ] = SENIOR_YEARS,
    time_limit: Annotated[float, typer.Option(help="seconds the solver may use")] = (
        DEFAULT_TIME_LIMIT
    ),
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Propose teams of two (one of three for an odd head-count) that keep the hard rules
    (senior with junior, an experienced member, must/must-not pair) and are optimal for the soft
    ones (fewest past collaborations, then the smallest spread of team strength)."""
    from podium.teams.pairing import pair_roster
    from podium.teams.roster import load_roster
    from podium.teams.rules import team_count

    people = guard(lambda: load_roster(roster, collaborations, senior_years=senior_years))
    needed = team_count(len(people.people))
    team_names: list[str] | None = None
    if apply:
        if names is not None:
            path = names
            team_names = guard(lambda: read_team_names(path, needed))
        elif json_out or not interactive():
            guard(_missing_names)
    result = guard(lambda: pair_roster(people, seed=seed, time_limit=time_limit))
    shown = False
    if apply and team_names is None:
        print_pairing(console(), result)
        shown = True
        team_names = prompt_team_names(result)
    if apply and team_names is not None:
        chosen = team_names
        guard(lambda: _apply(competition, result, chosen))
    if json_out:
        value = result.as_dict()
        for team, name in zip(value["teams"], team_names or [], strict=False):
            team["name"] = name
        value["applied"] = apply
        emit_json(value)
        return
    if not shown:
        print_pairing(console(), result, team_names)
    if apply and team_names is not None:
        console().print(
            f"created {len(team_names)} teams in {competition}: {inert(', '.join(team_names))}"
        )


def interactive() -> bool:
    """Whether a person is at the keyboard to type team names."""
    return sys.stdin.isatty()


def _missing_names() -> None:
    raise PodiumError(
        "--apply needs a name for every team",
        hint="pass --names FILE (one name per line), or run it in a terminal to be asked",
    )
