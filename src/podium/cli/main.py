"""The `podium` command: each command is a thin call into the service layer."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

import typer

from podium import __version__
from podium.baseline.cli import baseline_app
from podium.cli.efficiency import remeasure, rules_app
from podium.cli.environments import env_app
from podium.cli.fame import hall_of_fame
from podium.cli.help import WorkflowGroup
from podium.cli.inert import inert
from podium.cli.jobs import budget, job_app
from podium.cli.notify import notify_app
from podium.cli.options import (
    CompetitionOpt,
    JsonOpt,
    QuietOpt,
    VerboseOpt,
    console,
    emit_json,
    fail,
    guard,
    open_podium,
    progress,
    shown,
    store_id,
)
from podium.cli.participant import (
    ServerOpt,
    TokenOpt,
    attempts_app,
    cancel,
    need_folder,
    status,
)
from podium.cli.people import remove_member
from podium.cli.questions import questions
from podium.cli.review import review
from podium.cli.server import serve, token_app
from podium.cli.stages import stage_list
from podium.cli.teams import pair, teams_app
from podium.cli.workers import worker, workers
from podium.core.errors import PodiumError

if TYPE_CHECKING:
    from podium.service import Podium

# Every module above imports only Typer at its top: the service, the store and the rendering
# are imported inside the command that runs (`podium --help` answers at once;
# tests/cli/test_imports.py holds it).

# rich_markup_mode=None (every Typer of podium): Click's plain help and usage errors, because
# Typer's Rich help imports more than the rest of `podium --help` (benchmarks/bench_cli.py)
app = typer.Typer(
    cls=WorkflowGroup,  # commands listed by panel, in the workflow's order
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="Run ML competitions ranked by quality and efficiency.",
)
_SOURCE_HELP = (
    "'synthetic', an XTREME-format folder (CoNLL-U accepted in udpos/), "
    "a parquet copy of google/xtreme, or 'hf:google/xtreme'"
)
data_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Prepare, inspect and export the data."
)
team_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Add, list and change teams."
)
stage_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Open, close and list stages."
)
final_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Select, run and reveal the final."
)
code_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Share submitted code after a stage."
)
app.add_typer(data_app, name="data")
app.add_typer(team_app, name="team")
app.add_typer(stage_app, name="stage")
app.add_typer(final_app, name="final")
app.add_typer(code_app, name="code")
stage_app.command("list")(stage_list)
app.add_typer(baseline_app, name="baseline")
app.add_typer(token_app, name="token")
app.add_typer(teams_app, name="teams", hidden=True)
app.add_typer(rules_app, name="rules")
app.add_typer(notify_app, name="notify")
app.add_typer(attempts_app, name="attempts")
app.command("status")(status)
app.command("cancel")(cancel)
app.add_typer(env_app, name="env")
app.add_typer(job_app, name="job")
app.command("budget")(budget)
app.command()(remeasure)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("workers")(workers)
app.command("questions")(questions)
app.command("hall-of-fame")(hall_of_fame)
app.command("review")(review)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="print the version")] = False,
) -> None:
    if version:
        typer.echo(f"podium {__version__}")
        raise typer.Exit()


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="competition folder to create")],
    name: Annotated[str | None, typer.Option(help="competition name")] = None,
    source: Annotated[str, typer.Option(help=_SOURCE_HELP)] = "synthetic",
    force: Annotated[bool, typer.Option(help="overwrite an existing competition.toml")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="a field other than its default, as section.field=value (repeatable), "
            "e.g. efficiency.photo_finish_max_runs=10",
        ),
    ] = None,
) -> None:
    """Write a commented competition.toml with the seed competition's defaults."""
    from podium.service import init_competition

    path = guard(
        lambda: init_competition(folder, name=name, source=source, force=force, settings=set_ or ())
    )
    console().print(f"wrote {path}\nnext: edit it, then `podium data prepare -c {folder}`")


@app.command()
def migrate(competition: CompetitionOpt = Path(".")) -> None:
    """Bring the store up to this podium's schema and the competition.toml's stages (every
    command that changes something does it too; the commands that only show never do)."""
    with open_podium(competition) as podium:
        console().print(f"the store of {podium.competition.spec.name!r} is up to date")


@data_app.command("prepare")
def data_prepare(
    competition: CompetitionOpt = Path("."),
    source: Annotated[
        str | None, typer.Option(help=f"override [data].source: {_SOURCE_HELP}")
    ] = None,
    force: Annotated[bool, typer.Option(help="re-seal (only before any submission)")] = False,
    json_out: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Split labelled data into public training data and sealed eval/final sets."""
    from podium.cli.render import print_manifest
    from podium.service import resolve_source

    with open_podium(competition) as podium:
        chosen = resolve_source(source) if source is not None else None
        manifest = podium.setup.prepare_data(force=force, source=chosen)
        if json_out:
            emit_json(manifest.model_dump() if hasattr(manifest, "model_dump") else manifest)
        else:
            print_manifest(console(), manifest, podium.competition.layout, verbose=verbose)
            if manifest.canaries is not None:
                text = podium.evaluation.integrity_setting().text()
                console().print(text, highlight=False, markup=False)


@data_app.command("info")
def data_info(
    competition: CompetitionOpt = Path("."), json_out: JsonOpt = False, verbose: VerboseOpt = False
) -> None:
    """Counts per task, language and split of the prepared data."""
    from podium.cli.render import print_manifest

    with open_podium(competition, read_only=True) as podium:
        manifest = podium.setup.manifest()
        if json_out:
            emit_json(manifest.model_dump() if hasattr(manifest, "model_dump") else manifest)
        else:
            print_manifest(console(), manifest, podium.competition.layout, verbose=verbose)
            if manifest.canaries is not None:
                text = podium.evaluation.integrity_setting().text()
                console().print(text, highlight=False, markup=False)


@data_app.command("export")
def data_export(
    out: Annotated[Path, typer.Argument(help="folder to write the public data to")],
    competition: CompetitionOpt = Path("."),
) -> None:
    """Copy the public training data (what teams download) to a folder."""
    with open_podium(competition) as podium:
        podium.setup.export_public(out)
        console().print(f"public data written to {out}")


@team_app.command("add")
def team_add(
    name: Annotated[str, typer.Argument(help="unique team name")],
    member: Annotated[
        list[str] | None, typer.Option("--member", "-m", help="repeat per member")
    ] = None,
    competition: CompetitionOpt = Path("."),
) -> None:
    """Add a team."""
    with open_podium(competition) as podium:
        team = podium.setup.add_team(name, member or [])
        console().print(f"team {inert(repr(team.name))} added ({len(team.members)} member(s))")


@team_app.command("list")
def team_list(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """List teams and members."""
    from podium.cli.tables import print_teams

    with open_podium(competition, read_only=True) as podium:
        teams = [{"team": t.name, "members": list(t.members)} for t in podium.setup.teams()]
        if json_out:
            emit_json(teams)
        else:
            print_teams(console(), teams)


team_app.command("pair")(pair)
team_app.command("remove-member")(remove_member)
teams_app.command(  # the old name, for one release
    "pair", deprecated=True, help="Old name of `podium team pair` (goes away next release)."
)(pair)


@stage_app.command("open")
def stage_open(name: str, competition: CompetitionOpt = Path(".")) -> None:
    """Open a stage for submissions."""
    with open_podium(competition) as podium:
        podium.setup.open_stage(name)
        console().print(f"stage {name!r} is open")
        for warning in podium.results.timing().warnings:
            console().print(f"[yellow]warning:[/] {inert(warning)}")


@stage_app.command("close")
def stage_close(name: str, competition: CompetitionOpt = Path(".")) -> None:
    """Close a stage (declares its winner / releases code if the spec says so)."""
    with open_podium(competition) as podium:
        winners = podium.finals.close_stage(name)
        console().print(f"stage {name!r} is closed")
        report = podium.finals.close_report(name)
        for line in report.lines() if report else ():
            console().print(line, highlight=False, markup=False)
        for w in winners:
            console().print(
                f"hall of fame: {inert(w.team_name)} wins stage {inert(repr(w.stage_name))} "
                f"({w.score:.2f} points, {w.duration_seconds:.2f} s)"
            )


@app.command()
def submit(
    path: Annotated[Path, typer.Argument(help="submission folder, .zip or .tar.gz")],
    team: Annotated[str | None, typer.Option(help="team name (with --server: organizers)")] = None,
    stage: Annotated[str | None, typer.Option(help="default: the open stage")] = None,
    label: Annotated[str, typer.Option(help="a note for this attempt")] = "",
    server: Annotated[str | None, typer.Option(help="upload to a podium server")] = None,
    token: Annotated[str | None, typer.Option(envvar="PODIUM_TOKEN", help="with --server")] = None,
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Store a submission and reserve one of the team's attempts (locally or on a server)."""
    if server is not None:
        _submit_remote(server, token, path, team, json_out)
        return
    need_folder(competition)
    if team is None:
        fail(PodiumError("--team is required", hint='podium submit PATH --team "Quick Lex"'))
        return
    with open_podium(competition) as podium:
        r = podium.submissions.submit(path, team=team, stage=stage, label=label)
        if json_out:
            emit_json(r.__dict__)
        else:
            console().print(
                f"submission #{r.submission_id} accepted for {inert(repr(r.team))}: attempt {r.attempt} of "
                f"{r.attempts} in stage {r.stage!r}, sha256 {r.sha256[:12]}…, "
                f"queue position {r.queue_position}"
            )


def _submit_remote(
    server: str, token: str | None, path: Path, team: str | None, json_out: bool
) -> None:
    from podium.cli.remote import upload_submission

    if not token:
        fail(PodiumError("--server needs --token (or PODIUM_TOKEN)",
                         hint="your organizer gives you a token"))  # fmt: skip
        return
    r = guard(lambda: upload_submission(server, token, path, team=team, progress=not json_out))
    if json_out:
        emit_json(r)
        return
    sender = f" from {inert(r['member'])}" if r.get("member") else ""
    again = (
        " (sent again after a dropped connection: the same attempt)" if r.get("replayed") else ""
    )
    attempt = f"attempt {r['attempt']} of {r['attempts']}" if r["attempt"] else "cancelled since"
    waiting = f", queue position {r['queue_position']}" if r["queue_position"] else ""
    console().print(
        f"submission #{r['submission_id']} accepted{again} for {inert(repr(r['team']))}{sender}: "
        f"{attempt} in stage {inert(repr(r['stage']))}{waiting}\n"
        f"follow it: {inert(server.rstrip('/'))}/teams/{quote(r['team'], safe='')}"
    )


@app.command()
def evaluate(
    competition: CompetitionOpt = Path("."),
    stage: Annotated[str | None, typer.Option(help="only this stage's queue")] = None,
    quiet: QuietOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Evaluate queued submissions one at a time (timed, validated, scored)."""
    from podium.cli.render import print_outcomes

    with open_podium(competition) as podium:
        outcomes = podium.evaluation.evaluate_pending(
            progress=progress(quiet or json_out), stage=stage
        )
        if json_out:
            emit_json([o.__dict__ for o in outcomes])
        else:
            print_outcomes(console(), outcomes)


@app.command()
def leaderboard(
    competition: CompetitionOpt = Path("."),
    stage: Annotated[str | None, typer.Option(help="default: the latest opened stage")] = None,
    languages: Annotated[bool, typer.Option(help="show per-language scores")] = False,
    wide: Annotated[
        bool, typer.Option(help="every reason in the table (default below 120 columns: under it)")
    ] = False,
    json_out: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Show a stage's leaderboard: performance place, efficiency moves, final place."""

    if server is not None:
        from podium.cli.participant import remote_leaderboard

        remote_leaderboard(server, token, stage, languages, wide, json_out)
        return
    need_folder(competition)

    def show(podium: "Podium") -> None:
        from podium.cli.render import print_leaderboard

        board = podium.results.leaderboard(stage)
        if json_out:
            emit_json(board.to_dict())
        else:
            print_leaderboard(console(), board, languages=languages, wide=wide)

    shown(competition, ["leaderboard", stage, languages, wide, json_out], show)


@app.command()
def submissions(
    competition: CompetitionOpt = Path("."),
    team: Annotated[str | None, typer.Option(help="only this team")] = None,
    json_out: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """List submissions with the status and errors of their last run (with --server: your
    team's)."""
    if server is not None:
        from podium.cli.participant import remote_submissions

        remote_submissions(server, token, team, json_out)
        return
    need_folder(competition)

    def show(podium: "Podium") -> None:
        from podium.cli.render import print_submissions

        with podium.snapshot():
            flags = podium.reviews.flags()  # the terminal is the organizer's
            subs = [{**s.to_dict(), "flags": flags.get(s.id, []), "review": s.review}
                    for s in podium.submissions.find(team)]  # fmt: skip
        if json_out:
            emit_json(subs)
        else:
            print_submissions(console(), subs, flagged=set(flags))

    shown(competition, ["submissions", team, json_out], show)


@app.command("run")
def show_run(
    run_id: Annotated[int, typer.Argument(callback=store_id("run"))],
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Show one run: errors by kind, place and why, timings, fingerprint, scores, log tail."""
    if server is not None:
        from podium.cli.participant import remote_run

        remote_run(server, token, run_id, json_out)
        return
    need_folder(competition)

    def show(podium: "Podium") -> None:
        from podium.cli.participant import show_result
        from podium.service.verdicts import verdict

        run = podium.results.run(run_id)
        result = verdict(podium, run.submission_id, run_id)
        # the organizer's view: the canary test too (never on team pages nor the API)
        show_result(result, json_out, extra={"integrity": run.integrity})

    shown(competition, ["run", run_id, json_out], show)


@final_app.command("select")
def final_select(
    submission: Annotated[
        int,
        typer.Option(help="submission id to take to the final", callback=store_id("submission")),
    ],
    team: Annotated[str | None, typer.Option(help="team name (not with --server)")] = None,
    competition: CompetitionOpt = Path("."),
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Choose which evaluation submission a team takes to the final (default: its best),
    until the final runs: a team with --server, an organizer here."""
    if server is not None:
        from podium.cli.participant import remote_final_select

        remote_final_select(server, token, submission)
        return
    need_folder(competition)
    if team is None:
        fail(PodiumError("--team is required", hint="podium final select --team T --submission N"))
        return
    with open_podium(competition) as podium:
        podium.submissions.select_for_final(team, submission)
        console().print(f"{inert(repr(team))} takes submission #{submission} to the final")


@final_app.command("run")
def final_run(competition: CompetitionOpt = Path("."), quiet: QuietOpt = False) -> None:
    """Run every team's chosen submission once on the final set; results stay hidden."""
    with open_podium(competition) as podium:
        outcomes = podium.finals.run(progress=progress(quiet))
        failed = sum(o.status != "scored" for o in outcomes)
        console().print(
            f"final evaluated: {len(outcomes)} run(s), {failed} failed; results are "
            "hidden until `podium final reveal`"
        )


@final_app.command("reveal")
def final_reveal(competition: CompetitionOpt = Path(".")) -> None:
    """Reveal the final leaderboard and enter the winners in the hall of fame."""
    from podium.cli.render import print_leaderboard

    with open_podium(competition) as podium:
        podium.finals.reveal()
        print_leaderboard(console(), podium.results.leaderboard(podium.setup.final_stage()))


@code_app.command("export")
def code_export(
    out: Annotated[Path, typer.Argument(help="folder to write every team's code to")],
    stage: Annotated[str, typer.Option(help="a closed stage that releases code")],
    competition: CompetitionOpt = Path("."),
) -> None:
    """Write every team's submitted code of a closed stage (release_code = true)."""
    with open_podium(competition) as podium:
        written = podium.finals.export_code(stage, out)
        console().print(f"{len(written)} submission(s) written under {out}")


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="submission folder, .zip or .tar.gz")],
    data: Annotated[
        Path, typer.Option(help="labelled data in XTREME format, e.g. the public data")
    ],
    split: Annotated[str, typer.Option(help="which {split}-{lang}.tsv files to use")] = "dev",
    runner: Annotated[
        str, typer.Option(help="'bwrap' (as the evaluator) or 'subprocess'")
    ] = "bwrap",
    timeout: Annotated[float, typer.Option(help="time-out of the test phase, seconds")] = 900.0,
) -> None:
    """Run a submission through the evaluator's harness on local data: scores, timing, errors."""
    from podium.cli.render import print_check
    from podium.config.spec import SandboxSpec
    from podium.harness.check import check_submission

    sandbox = guard(lambda: SandboxSpec(runner=runner, timeout_seconds=timeout))  # type: ignore[arg-type]
    report = guard(lambda: check_submission(path, data, split=split, sandbox=sandbox))
    print_check(console(), report)
    if report.result.status != "scored":
        raise typer.Exit(1)


@app.command()
def calibrate(
    submission: Annotated[Path, typer.Option(help="a submission to time repeatedly")],
    runs: Annotated[int, typer.Option(help="number of fresh runs")] = 10,
    competition: CompetitionOpt = Path("."),
    quiet: QuietOpt = False,
) -> None:
    """Measure run-to-run noise here and recommend min_efficiency_gain; the baseline's
    canaries set the honest lean (unless competition.toml names one)."""
    from podium.cli.render import print_calibration

    with open_podium(competition) as podium:
        noise = podium.evaluation.calibrate(submission, runs=runs, progress=progress(quiet))
        setting = podium.evaluation.integrity_setting()  # this calibration's, if it set one
        gain = podium.competition.spec.reranking.min_efficiency_gain
        print_calibration(console(), noise, gain, lean_source=setting.source)
        console().print(setting.text(), highlight=False, markup=False)


@app.command()
def report(competition: CompetitionOpt = Path(".")) -> None:
    """Write report.html (leaderboards and charts) into the competition folder."""
    from podium.cli.report import write_report

    with open_podium(competition) as podium:
        path = write_report(podium)
        console().print(f"report written to {path}")


@app.command()
def demo(
    folder: Annotated[
        Path | None, typer.Argument(help="where to build it (default: a temp folder)")
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="an XTREME-format folder instead of synthetic data")
    ] = None,
    quiet: QuietOpt = False,
    baseline_minutes: Annotated[
        float,
        typer.Option(
            help="training budget of the baseline kit's team (with podium[baseline]); 0: no team"
        ),
    ] = 1.0,
    example: Annotated[
        str | None,
        typer.Option(
            help="an example competition of examples/competitions (e.g. digits) instead of XTREME",
        ),
    ] = None,
    verbose: VerboseOpt = False,
    competition: Annotated[
        str | None, typer.Option("--competition", hidden=True, help="old name of --example")
    ] = None,
) -> None:
    """Build a throw-away competition and run it end to end: teams, 3 attempts, the final."""
    from podium.cli.demo import run_demo

    if competition is not None:  # everywhere else --competition is a competition folder
        console(stderr=True).print(
            "note: `podium demo --competition NAME` is now `--example NAME`; "
            "--competition goes away in the next release"
        )
        example = example or competition
    if example is not None:
        from podium.cli.demo_examples import run_example

        chosen = example
        guard(lambda: run_example(chosen, folder, console=console(), quiet=quiet))
        return
    guard(
        lambda: run_demo(
            folder,
            data=data,
            console=console(),
            quiet=quiet,
            baseline_minutes=baseline_minutes,
            verbose=verbose,
        )
    )


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    if sys.argv[1:] == ["--version"]:  # at once: Typer would import pydantic to parse a flag
        print(f"podium {__version__}")
        return
    app()
