"""A participant at the terminal, against a server they never see the folder of: `podium
status`, `podium cancel`, and the `--server` side of `leaderboard`, `submissions`, `run` and
`final select` (printed as the local commands print them); and the organizer's `podium
attempts grant|list`. Every server call goes through `cli/remote.call`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

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
from podium.core.errors import PodiumError

ServerOpt = Annotated[
    str | None, typer.Option(help="a podium server's URL (e.g. http://host:8000)")
]
TokenOpt = Annotated[
    str | None, typer.Option(envvar="PODIUM_TOKEN", help="your token, with --server")
]
attempts_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Grant a team more attempts (organizers)."
)


NO_FOLDER_HINT = (
    "a participant: add --server URL --token TOKEN (both from your organizer; the token may "
    "be in PODIUM_TOKEN); an organizer: run it in the competition folder or pass -c DIR"
)


def need_folder(root: Path) -> None:
    """A command with a --server form, run with neither a server nor a competition here: a
    participant is told of --server, not of `podium init` (an organizer's command)."""
    if not (root / "competition.toml").is_file() and not root.is_file():
        fail(PodiumError(f"no competition here ({root.resolve()} has no competition.toml)",
                         hint=NO_FOLDER_HINT))  # fmt: skip


def _call(server: str, token: str | None, method: str, path: str, **params: str | None) -> Any:
    from podium.cli.remote import call

    if not token:
        fail(PodiumError("--server needs --token (or PODIUM_TOKEN)",
                         hint="your organizer gives you a token"))  # fmt: skip
    query = {k: v for k, v in params.items() if v is not None}
    return guard(lambda: call(server, token or "", method, path, params=query or None))


def _team_of(server: str, token: str | None, team: str | None) -> str:
    """The team asked about: the token's own, or `--team` for an organizer's token."""
    me = _call(server, token, "GET", "/api/me")
    name = team or me.get("team")
    if not name:
        fail(PodiumError("an organizer's token names the team", hint="add --team NAME"))
    return str(name)


# -- status -------------------------------------------------------------------------------------


def status(
    server: Annotated[str, typer.Option(help="a podium server's URL (e.g. http://host:8000)")],
    token: TokenOpt = None,
    team: Annotated[str | None, typer.Option(help="organizers: which team")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Your team on a server: attempts left, the queue, the latest results."""
    name = _team_of(server, token, team)
    page = _call(server, token, "GET", f"/api/teams/{quote(name, safe='')}")
    if json_out:
        emit_json(page)
        return
    print_status(page, server)


def print_status(page: dict[str, Any], server: str) -> None:
    from podium.cli.tables import Grid

    out = console()
    left = ", ".join(f"{n} in {inert(stage)}" for stage, n in page["attempts_left"].items())
    out.print(f"[bold]{inert(page['team'])}[/]: attempts left {left or '-'}"
              + (f"; open stage {inert(page['current_stage'])}" if page["current_stage"] else ""))  # fmt: skip
    for s in page["submissions"]:
        if s["status"] == "running":  # under way: nothing to cancel any more
            out.print(f"#{s['id']} running", highlight=False)
        elif s["status"] == "queued" and s["queue_position"]:
            out.print(f"#{s['id']} queued, queue position {s['queue_position']} "
                      f"(`podium cancel {s['id']} --server {inert(server)}` takes it back)",
                      highlight=False)  # fmt: skip
    table = Grid("Latest results")
    for col in ("#", "stage", "att.", "status", "overall", "duration"):
        table.column(col, right=col in ("#", "att.", "overall", "duration"), most=14)
    table.column("what happened", least=12, wrap=True)
    for s in page["submissions"][:10]:
        final = "final choice; " if s.get("selected_for_final") else ""
        table.add_row(
            str(s["id"]), inert(s["stage"]), str(s["attempt"] or "-"), inert(s["status"]),
            "-" if s["overall"] is None else f"{s['overall']:.2f}",
            "-" if s["duration"] is None else f"{s['duration']:.2f} s",
            inert(final + "; ".join(s.get("problems") or []) or (final.rstrip("; ") or "-")),
        )  # fmt: skip
    if table.row_count:
        table.print(out)
    else:
        out.print("no submissions yet")
    for a in page.get("trail", []):
        if a["kind"] == "attempts_granted":
            out.print(f"granted: {a['count']} attempt(s) in {inert(a['stage'])} by "
                      f"{inert(a['actor'])} ({inert(a['reason'])})", highlight=False)  # fmt: skip


# -- the remote side of the readers ---------------------------------------------------------------


def remote_leaderboard(
    server: str, token: str | None, stage: str | None, languages: bool, wide: bool, json_out: bool
) -> None:
    from podium.cli.remote import board_from_json
    from podium.cli.render import print_leaderboard

    data = _call(server, token, "GET", "/api/leaderboard", stage=stage)
    if json_out:
        emit_json(data)
        return
    print_leaderboard(console(), board_from_json(data), languages=languages, wide=wide)


def remote_submissions(server: str, token: str | None, team: str | None, json_out: bool) -> None:
    from podium.cli.render import print_submissions

    subs = _call(server, token, "GET", "/api/submissions", team=team)
    if json_out:
        emit_json(subs)
        return
    print_submissions(console(), subs, flagged={s["id"] for s in subs if s.get("flags")})


def run_record(result: dict[str, Any]) -> dict[str, Any] | None:
    """A result record (`/api/runs/ID`) as `podium run --json` writes it: the run's own
    record, its errors by kind, its place and timing; None when there is no run to show."""
    run = result["run"]
    if run is None:
        return None
    return {**run, "team": result["team"], "stage": result["stage"],
            "problems": result["problems"], "result": result["result"]}  # fmt: skip


def show_result(
    result: dict[str, Any], json_out: bool, extra: dict[str, Any] | None = None
) -> None:
    """`extra`: what only the local (organizer's) `--json` adds, e.g. the run's integrity."""
    from podium.cli.tables import print_run

    record = run_record(result)
    if json_out:
        emit_json({**(record or result), **(extra or {})})
        return
    if record is None:
        where = f", queue position {result['queue_position']}" if result["queue_position"] else ""
        console().print(f"submission {result['submission_id']} of {inert(result['team'])}: "
                        f"{inert(result['status'])}{where}", highlight=False)  # fmt: skip
        return
    print_run(console(), record, record.pop("log_tail"))


def remote_run(server: str, token: str | None, run_id: int, json_out: bool) -> None:
    result = _call(server, token, "GET", f"/api/runs/{run_id}")
    # an organizer's token has the canary test too, where the local command puts it
    extra = {"integrity": result["integrity"]} if "integrity" in result else None
    show_result(result, json_out, extra=extra)


def remote_final_select(server: str, token: str | None, submission: int) -> None:
    done = _call(server, token, "POST", f"/api/submissions/{submission}/final")
    console().print(f"{inert(repr(done['team']))} takes submission #{submission} to the final")


# -- choices --------------------------------------------------------------------------------------


def cancel(
    submission: Annotated[int, typer.Argument(callback=store_id("submission"))],
    server: ServerOpt = None,
    token: TokenOpt = None,
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Cancel a submission still waiting in the queue: its attempt comes back."""
    if server is not None:
        done = _call(server, token, "POST", f"/api/submissions/{submission}/cancel")
    else:
        need_folder(competition)
        with open_podium(competition) as podium:
            team = podium.submissions.get(submission).team
            podium.choices.cancel(submission, team=None, actor="organizer")
            done = {"submission_id": submission, "status": "cancelled", "team": team,
                    "attempts_left": podium.submissions.attempts_left(team)}  # fmt: skip
    if json_out:
        emit_json(done)
        return
    left = ", ".join(f"{n} in {inert(stage)}" for stage, n in done["attempts_left"].items())
    console().print(f"submission #{submission} of {inert(repr(done['team']))} is cancelled; "
                    f"attempts left: {left}", highlight=False)  # fmt: skip


@attempts_app.command("grant")
def grant(
    team: Annotated[str, typer.Option(help="team name")],
    stage: Annotated[str, typer.Option(help="a stage teams submit to")],
    reason: Annotated[str, typer.Option(help="why, for the audit trail and the team page")],
    count: Annotated[int, typer.Option(help="how many attempts")] = 1,
    competition: CompetitionOpt = Path("."),
) -> None:
    """Give a team more attempts in a stage (after an incident), with the reason."""
    with open_podium(competition) as podium:
        podium.choices.grant(team, stage, count, reason, actor="organizer")
        left = podium.submissions.attempts_left(team).get(stage, 0)
        console().print(f"{inert(repr(team))} has {count} more attempt(s) in {stage!r} "
                        f"({left} left now)", highlight=False)  # fmt: skip


@attempts_app.command("list")
def trail(
    team: Annotated[str | None, typer.Option(help="only this team")] = None,
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """The audit trail: attempts granted, submissions cancelled, final choices."""
    from podium.cli.tables import Grid

    with open_podium(competition, read_only=True) as podium:
        rows = podium.choices.trail(team)
    if json_out:
        emit_json([r.to_dict() for r in rows])
        return
    table = Grid("Decisions")
    table.column("when", least=16, most=16)
    table.column("team", least=8, most=24)
    table.column("what", least=10, most=16)
    table.column("by", least=8, most=20)
    table.column("detail", least=12, wrap=True)
    for r in rows:
        detail = (f"{r.count} in {r.stage}: {r.reason}" if r.kind == "attempts_granted"
                  else f"submission #{r.submission_id}")  # fmt: skip
        table.add_row(f"{r.created_at:%Y-%m-%d %H:%M}", inert(r.team or "-"), r.kind,
                      inert(r.actor), inert(detail))  # fmt: skip
    table.print(console())
