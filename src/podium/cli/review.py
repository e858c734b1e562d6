"""`podium review`: an organizer's decision on a flagged submission, kept in the audit trail."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer

from podium.cli.inert import inert
from podium.cli.options import (
    CompetitionOpt,
    JsonOpt,
    console,
    emit_json,
    fail,
    guard,
    open_podium,
    store_id,
)
from podium.cli.participant import ServerOpt, TokenOpt
from podium.core.errors import PodiumError, RuleError


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
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Decide on a flagged submission (see `podium submissions --json`, its "flags"); with
    --server, an organizer's token decides on the server."""
    if clear == disqualify:
        fail(
            RuleError(
                "say one decision", hint="podium review ID --clear, or --disqualify --reason TEXT"
            )
        )
    decision = "clear" if clear else "disqualify"
    if server is not None:
        decided = _remote(server, token, submission, decision, reason)
    else:
        with open_podium(competition) as podium:
            by = f"{getpass.getuser()} (terminal)"
            decided = podium.reviews.decide(submission, decision, reason, by=by).to_dict()
    if json_out:
        emit_json(decided)
        return
    out = console()
    out.print(f"submission {decided['submission']} of {inert(decided['team'])}: "
              f"{decided['decision']}", highlight=False)  # fmt: skip
    if decided["winners"]:
        winners = ", ".join(inert(w) for w in decided["winners"])
        out.print(f"the stage's winner now: {winners}", highlight=False)


def _remote(
    server: str, token: str | None, submission: int, decision: str, reason: str
) -> dict[str, Any]:
    from podium.cli.remote import call

    if not token:
        fail(PodiumError("--server needs --token (or PODIUM_TOKEN)",
                         hint="an organizer's token: podium token create --organizer"))  # fmt: skip
    body = {"decision": decision, "reason": reason}
    path = f"/api/submissions/{submission}/review"
    answer: dict[str, Any] = guard(lambda: call(server, token or "", "POST", path, body=body))
    return answer
