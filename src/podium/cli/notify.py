"""`podium notify`: try every [notify] channel, and read the outbox of news."""

from pathlib import Path
from typing import Annotated

import typer

from podium.cli.inert import inert
from podium.cli.options import CompetitionOpt, JsonOpt, console, emit_json, open_podium

notify_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="News sent to Apprise URLs ([notify])."
)
WIDTH = 80


@notify_app.command("test")
def notify_test(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """Send a test message to every [notify] URL now and say what happened to each."""

    with open_podium(competition) as podium:
        results = podium.news.send_test()
    if json_out:
        emit_json([r.__dict__ for r in results])
    elif not results:
        console().print("no [notify] URLs in competition.toml: nothing to send")
    for r in [] if json_out else results:
        verdict = "[green]sent[/]  " if r.error is None else "[red]FAILED[/]"
        line = f"{verdict} {inert(r.where)} {inert(r.url)}"
        console().print(line + ("" if r.error is None else f"\n       {inert(r.error)}"))
    if any(r.error is not None for r in results):
        raise typer.Exit(1)


@notify_app.command("list")
def notify_list(
    competition: CompetitionOpt = Path("."),
    limit: Annotated[int, typer.Option(min=1, help="how many of the latest")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """The latest news in the outbox: to whom, whether sent, tries and the last error."""

    from podium.config.channels import shown

    with open_podium(competition, read_only=True) as podium:
        rows = podium.news.outbox(limit)
    if json_out:
        emit_json([
            {"id": r.id, "kind": r.kind, "team": r.team, "stage": r.stage,
             "to": shown(r.destination), "status": r.status, "tries": r.tries,
             "created_at": r.created_at, "sent_at": r.sent_at, "last_error": r.last_error,
             "text": r.body}
            for r in rows
        ])  # fmt: skip
        return
    out = console()
    if not rows:
        out.print("the outbox is empty")
    else:
        out.print(f"{'id':>5} {'news':<15} {'to':<18} {'status':<7} {'tries':>5} {'written':<11}")
    for r in rows:
        to = _cut(r.team or "everyone", 18)
        out.print(
            f"{r.id:>5} {_cut(r.kind, 15):<15} {inert(to):<18} {r.status:<7} {r.tries:>5} "
            f"{r.created_at:%m-%d %H:%M}",
            highlight=False,
        )
        if r.last_error and r.status != "sent":
            out.print(f"      {inert(_cut(r.last_error, WIDTH - 6))}", highlight=False)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
