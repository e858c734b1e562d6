"""`podium worker` (a machine that evaluates for a server) and `podium workers` (the fleet)."""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from podium.cli.inert import inert
from podium.cli.options import CompetitionOpt, JsonOpt, console, emit_json, guard, open_podium


def worker(
    server: Annotated[
        str,
        typer.Option(help="the podium server, e.g. https://podium.example", envvar="PODIUM_SERVER"),
    ],
    hardware: Annotated[
        str, typer.Option(help="this machine's hardware label", envvar="PODIUM_HARDWARE")
    ],
    token: Annotated[
        str | None, typer.Option(help="a worker token (or PODIUM_TOKEN)", show_default=False)
    ] = None,
    broker: Annotated[
        str | None,
        typer.Option(help="Celery broker URL (default: PODIUM_BROKER, else the server's)"),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            help="where archives and sealed inputs are kept, by sha256", show_default=False
        ),
    ] = None,
) -> None:
    """Evaluate a server's runs on this machine, one timed test phase at a time."""
    from podium.worker.process import start_worker

    token = token or os.environ.get("PODIUM_TOKEN")
    if not token:
        console().print(
            "[red]error:[/] pass --token or set PODIUM_TOKEN (podium token create --worker)"
        )
        raise typer.Exit(2)
    broker = broker or os.environ.get("PODIUM_BROKER") or None
    cache = cache or Path.home() / ".cache" / "podium-worker"
    guard(lambda: start_worker(server, token, hardware, broker=broker, cache_dir=cache,
                               say=lambda msg: console().print(inert(msg, lines=True))))  # fmt: skip


def workers(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """The fleet: each worker's label, fingerprint, last heartbeat, current run, runs done."""

    from podium.cli.tables import Grid, Notes

    with open_podium(competition, read_only=True) as podium:
        fleet, queues = podium.workers.fleet(), podium.dispatch.queue_lengths()
    if json_out:
        emit_json({"workers": [w.to_dict() for w in fleet], "queued": queues})
        return
    out = console()
    for label, waiting in queues.items():
        out.print(f"queue {inert(repr(label))}: {waiting} waiting")
    if not fleet:
        out.print("no workers yet (podium token create --worker --label NAME; podium worker …)")
    table, notes = Grid(), Notes(out)
    table.column("worker", least=8, most=20)
    table.column("hardware", most=14)
    table.column("cpu", least=6, most=24)
    table.column("seen", right=True)
    table.column("now", least=6)
    table.column("done", right=True)
    table.column("fingerprint", least=11, spare=not notes.wide)
    for w in fleet:
        alike = "alike" if w.alike else "DIFFERS in " + ", ".join(w.differs)
        table.add_row(
            inert(w.name),
            inert(w.hardware),
            inert(str(w.fingerprint.get("cpu", "?"))),
            _ago(w.last_heartbeat),
            f"run {w.current_run_id}" if w.current_run_id else "idle",
            str(w.runs_done),
            alike if w.alike else notes.cell(f"worker {w.name}", alike),
        )
    if fleet:
        table.print(out)
    notes.print()


def _ago(moment: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - moment).total_seconds()))
    return f"{seconds}s ago" if seconds < 120 else f"{seconds // 60}m ago"
