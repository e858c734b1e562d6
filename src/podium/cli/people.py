"""`podium team remove-member`: people leave teams; their personal tokens leave with them."""

from pathlib import Path
from typing import Annotated

import typer

from podium.cli.inert import inert
from podium.cli.options import CompetitionOpt, console, open_podium


def remove_member(
    team: Annotated[str, typer.Argument(help="the team")],
    member: Annotated[str, typer.Argument(help="the member to take off it")],
    competition: CompetitionOpt = Path("."),
) -> None:
    """Take a member off a team; their personal tokens stop working at once (their past
    submissions keep their name)."""
    with open_podium(competition) as podium:
        revoked = podium.setup.remove_member(team, member)
    console().print(
        f"{inert(repr(member))} left team {inert(repr(team))} ({revoked} personal token(s) revoked)"
    )
