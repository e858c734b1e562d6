"""`podium env`: build the competition's Python environments ahead of runs, list, prune."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from podium.cli.options import CompetitionOpt, JsonOpt, console, emit_json, open_podium

env_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Python environments ([environments.NAME]), built with uv by hash.",
)


@env_app.command("build")
def env_build(
    names: Annotated[list[str] | None, typer.Argument(help="default: every one")] = None,
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Build the declared environments now (a run would build a missing one first)."""

    out = console()
    with open_podium(competition) as podium:
        done = podium.environments.build(names, say=None if json_out else out.print)
    if json_out:
        emit_json([d.__dict__ for d in done])
        return
    if not done:
        out.print("no [environments] in competition.toml: runs use the evaluator's Python")
    for d in done:
        how = f"built in {d.seconds:.1f} s" if d.built else "already built"
        out.print(f"{d.name:<20} {d.key[:16]}  {how}", highlight=False)


@env_app.command("list")
def env_list(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """Every environment built here: key, who names it, Python, packages, size, last use."""

    with open_podium(competition, read_only=True) as podium:
        entries = podium.environments.entries()
    if json_out:
        emit_json([e.__dict__ for e in entries])
        return
    out = console()
    if not entries:
        out.print("no environment is built here yet")
        return
    out.print(f"{'key':<16} {'name':<18} {'python':<8} {'pkgs':>5} {'MiB':>7} {'used':<11}")
    for e in entries:
        used = datetime.fromtimestamp(e.used, UTC).strftime("%m-%d %H:%M")
        name = ", ".join(e.names) or "(a team's own)"
        out.print(
            f"{e.key[:16]} {name[:18]:<18} {e.python:<8} {e.packages:>5} "
            f"{e.bytes / 2**20:>7.1f} {used:<11}",
            highlight=False,
        )


@env_app.command("prune")
def env_prune(
    competition: CompetitionOpt = Path("."),
    unused_days: Annotated[
        float | None,
        typer.Option(min=0, help="keep what a run used in the last N days too"),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Remove every environment competition.toml does not declare (teams' own locks are
    built again at their next attempt)."""

    with open_podium(competition) as podium:
        removed = podium.environments.prune(unused_days=unused_days)
    if json_out:
        emit_json(removed)
        return
    console().print(f"removed {len(removed)} environment(s)" + "".join(
        f"\n  {key[:16]}" for key in removed
    ))  # fmt: skip
