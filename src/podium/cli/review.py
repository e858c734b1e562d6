"""`podium review`: an organizer's decision on a flagged submission, kept in the audit trail."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from podium.cli.options import (
    CompetitionOpt,
    JsonOpt,
    console,
    emit_json,
    fail,
    open_podium,
    store_id,
)
from podium.core.errors import RuleError


def review(
    submission: Annotated[int, typer.Argument(callback=store_id("submission"))],
    clear: Annotated[bool, typer.Option("--clear", help="the flags were unfounded")] = False,
    disqualify: Annotated[
        bool, typer.Option("--disqualify", help="take it off every board; its team is told why")
    ] = False,
    reason: Annotated[
        str, typer.Option(help="why (required to disqualify; the team reads it)")
    ] = "",
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Decide on a flagged submission (see `podium submissions --json`, its "flags")."""
    if clear == disqualify:
        fail(
            RuleError(
                "say one decision", hint="podium review ID --clear, or --disqualify --reason TEXT"
            )
        )
    with open_podium(competition) as podium:
        decided = podium.reviews.decide(
            submission,
            "clear" if clear else "disqualify",
            reason,
            by=f"{getpass.getuser()} (terminal)",
        )
    if json_out:
        emit_json(decided.to_dict())
        return
    out = console()
    out.print(f"submission {decided.submission_id} of {decided.team}: {decided.decision}")
    if decided.winners:
        out.print(f"the stage's winner now: {', '.join(decided.winners)}")
