"""`podium job run|list|logs|fetch|cancel` and `podium budget`: a team's training jobs on a
podium server (or, with --competition and no --server, an organizer's look at the store)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

job_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Run a training job on the competition's machines; follow it; fetch its output.",
)
ServerOpt = Annotated[str, typer.Option(envvar="PODIUM_SERVER", help="the podium server's URL")]
TokenOpt = Annotated[str, typer.Option(envvar="PODIUM_TOKEN", help="a team token")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _client(server: str, token: str) -> Any:
    from podium.cli.jobs_client import JobsClient

    return JobsClient(server, token)


@job_app.command("run")
def run(
    folder: Annotated[Path, typer.Argument(help="a folder whose podium.toml has [job] command")],
    server: ServerOpt,
    token: TokenOpt,
    hardware: Annotated[
        str | None,
        typer.Option(
            help="a hardware label: the competition's (default), or one of its [jobs] hardware"
        ),
    ] = None,
    team: Annotated[str | None, typer.Option(help="organizers: the team")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Send the folder; its [job] command runs in the sandbox on the public data."""
    from podium.cli.options import console, emit_json, guard

    answer = guard(lambda: _client(server, token).run(folder, hardware=hardware, team=team))
    if json_out:
        emit_json(answer)
        return
    console().print(
        f"training job #{answer['job']} queued\nfollow it: podium job logs {answer['job']} --follow"
    )


@job_app.command("list")
def list_jobs(server: ServerOpt, token: TokenOpt, json_out: JsonOpt = False) -> None:
    """Your team's jobs: state and billed use."""
    from podium.cli.inert import inert
    from podium.cli.options import console, emit_json, guard

    jobs = guard(lambda: _client(server, token).jobs())
    if json_out:
        emit_json(jobs)
        return
    if not jobs:
        console().print("no training jobs yet")
        return
    for j in jobs:
        cpu = "—" if j["cpu_seconds"] is None else f"{j['cpu_seconds']:.1f} CPU s"
        note = f"  {inert(j['message'])}" if j.get("message") else ""
        console().print(f"#{j['id']:<5} {inert(j['team'])}  {j['status']:<9} {cpu}{note}")


@job_app.command("logs")
def logs(
    job_id: Annotated[int, typer.Argument(help="the job's number")],
    server: ServerOpt,
    token: TokenOpt,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="until the job ends")] = False,
) -> None:
    """The job's log (with --follow, as it grows)."""
    import sys

    from podium.cli.inert import inert
    from podium.cli.options import guard

    def write(chunk: str) -> None:
        sys.stdout.write(inert(chunk))
        sys.stdout.flush()

    guard(lambda: _client(server, token).logs(job_id, write, follow=follow))


@job_app.command("fetch")
def fetch(
    job_id: Annotated[int, typer.Argument(help="the job's number")],
    server: ServerOpt,
    token: TokenOpt,
    to: Annotated[Path | None, typer.Option(help="file to write")] = None,
) -> None:
    """Download what the job wrote to its output folder (a .tar.gz)."""
    from podium.cli.options import console, guard

    target = to or Path(f"job-{job_id}-output.tar.gz")
    size = guard(lambda: _client(server, token).fetch(job_id, target))
    console().print(f"{target} ({size / 2**20:.2f} MiB)")


@job_app.command("cancel")
def cancel(
    job_id: Annotated[int, typer.Argument(help="the job's number")],
    server: ServerOpt,
    token: TokenOpt,
) -> None:
    """Stop a job (billed for what it used until then)."""
    from podium.cli.options import console, guard

    answer = guard(lambda: _client(server, token).cancel(job_id))
    console().print(f"job #{job_id}: {answer['status']}")


def budget(server: ServerOpt, token: TokenOpt, json_out: JsonOpt = False) -> None:
    """Training budgets per team: budget, used, left (CPU hours, GPU hours, kWh)."""
    from podium.cli.inert import inert
    from podium.cli.options import console, emit_json, guard

    rows = guard(lambda: _client(server, token).budget())
    if json_out:
        emit_json(rows)
        return
    for row in rows:
        parts = []
        for key, unit in (("cpu_hours", "CPU h"), ("gpu_hours", "GPU h"), ("energy_kwh", "kWh")):
            a = row[key]
            if a["budget"] is None and not a["used"]:
                continue
            total = "unlimited" if a["budget"] is None else f"{a['budget']:g}"
            left = "" if a["left"] is None else f", {a['left']:.4g} left"
            parts.append(f"{unit}: {a['used']:.4g} of {total}{left}")
        console().print(f"{inert(row['team'])}: " + ("; ".join(parts) or "nothing used"))
