"""`podium serve` and `podium token`: the web app and who may use it."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from podium.cli.options import (
    CompetitionOpt,
    JsonOpt,
    console,
    emit_json,
    guard,
    open_podium,
    store_id,
)

if TYPE_CHECKING:
    from podium.rules.access import Role

token_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Create, list and revoke access tokens."
)


@token_app.command("create")
def token_create(
    team: Annotated[str | None, typer.Option(help="a team token (default: organizer)")] = None,
    organizer: Annotated[bool, typer.Option(help="an organizer token")] = False,
    worker: Annotated[
        bool, typer.Option(help="a worker's token (--label names the machine): runs only")
    ] = False,
    member: Annotated[
        str | None,
        typer.Option(help="a personal token of this member of --team: submissions record them"),
    ] = None,
    label: Annotated[str, typer.Option(help="who it is for, e.g. a name")] = "",
    competition: CompetitionOpt = Path("."),
) -> None:
    """Print a new token (shown once; only its sha256 is stored)."""
    if organizer + worker + (team is not None) != 1:
        console().print("[red]error:[/] pass one of --organizer, --team NAME or --worker")
        raise typer.Exit(2)
    role: Role = "organizer" if organizer else "worker" if worker else "team"
    with open_podium(competition) as podium:
        token = podium.tokens.create(role, team=team, label=label, member=member)
    typer.echo(token)


@token_app.command("list")
def token_list(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """Tokens by id, role, team and member (never the tokens themselves)."""
    from podium.cli.tables import print_tokens

    with open_podium(competition, read_only=True) as podium:
        rows = podium.tokens.find()
    if json_out:
        emit_json([r.__dict__ for r in rows])
        return
    print_tokens(console(), rows)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(callback=store_id("token"))],
    competition: CompetitionOpt = Path("."),
) -> None:
    """Revoke a token; its browser sessions end at their next request."""
    with open_podium(competition) as podium:
        podium.tokens.revoke(token_id)
    console().print(f"token {token_id} revoked")


def serve(
    competition: CompetitionOpt = Path("."),
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    evaluate: Annotated[
        bool, typer.Option(help="run the evaluation queue in the server (one run at a time)")
    ] = True,
    poll: Annotated[float, typer.Option(help="seconds between queue checks")] = 5.0,
    header_timeout: Annotated[
        float, typer.Option(min=0.1, help="seconds a connection has to send a request's headers")
    ] = 10.0,
    max_connections: Annotated[
        int, typer.Option(min=1, help="open connections at most; more are answered 503")
    ] = 200,
    stop_grace: Annotated[
        float,
        typer.Option(
            min=0, help="seconds a stop waits for the run in progress (then it is queued again)"
        ),
    ] = 30.0,
) -> None:
    """Serve the website and JSON API (leaderboard, teams, submissions, organizer pages)."""
    from podium.cli.inert import inert
    from podium.web.app import create_app
    from podium.web.bounds import Bounds
    from podium.web.serving import Serving, server_config

    with open_podium(competition):
        pass  # report a broken competition as a clear error before the server starts
    app = guard(lambda: create_app(competition.resolve(), evaluate=evaluate, poll=poll))
    worker = app.state.worker
    if worker is not None:
        worker.grace, worker.say = stop_grace, lambda text: console().print(inert(text))
    console().print(f"podium serving {competition.resolve()} on http://{host}:{port}")
    bounds = Bounds(header_seconds=header_timeout, max_connections=max_connections)
    Serving(server_config(app, host, port, bounds), worker).run()
