"""Terminal rendering of service results (Rich tables). No logic beyond formatting."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from podium.cli.inert import inert
from podium.cli.tables import Grid, Notes, error_note
from podium.metrics.registry import metric_label
from podium.report.durations import duration_text, metric_name
from podium.rules.fame import ordinal

if TYPE_CHECKING:  # types only: a leaderboard is printed without numpy or the harness
    from podium.config.layout import CompetitionLayout
    from podium.data.prepare import Manifest
    from podium.harness.check import CheckReport
    from podium.rules.calibration import NoiseReport
    from podium.rules.integrity import LeanReport
    from podium.rules.leaderboard import Leaderboard, Row
    from podium.service import RunOutcome
    from podium.service.reads import FameEntry


SHOWN_PLACES = 3  # places named in a summarised warning (--verbose names them all)


def summarised(warnings: Sequence[str], *, verbose: bool = False) -> list[str]:
    """Warnings grouped per kind, with counts: 85 "udpos/af: no labelled data; skipped" lines
    become one, so the two that matter are seen. A kind is the text after `place: `, its
    figures aside; `verbose` keeps every line."""
    if verbose:
        return list(warnings)
    kinds: dict[str, list[tuple[str, str]]] = {}
    for warning in warnings:
        place, sep, what = warning.partition(": ")
        if not sep or " " in place:
            place, what = "", warning
        kinds.setdefault(_kind(what), []).append((place, what))
    lines = []
    for items in kinds.values():
        place, what = items[0]
        if len(items) == 1:
            lines.append(f"{place}: {what}" if place else what)
            continue
        same = all(w == what for _, w in items)
        places = [p for p, _ in (items if same else items[1:])]
        named = ", ".join(places[:SHOWN_PLACES])
        more = len(places) - SHOWN_PLACES
        named += f" and {more} more; --verbose lists them" if more > 0 else ""
        if same:
            lines.append(f"{what} ({len(items)} times: {named})")
        else:
            lines.append(f"{place}: {what} (and {len(places)} more like it: {named})")
    return lines


def _kind(what: str) -> str:
    """A warning's kind: its words without its figures and the splits they count."""
    figures = re.sub(r"[\d.,]+|\b(?:train|dev|eval|final)\b", "#", what)
    return re.sub(r"#(?:\s*#)*", "#", figures)


def print_warnings(console: Console, warnings: Sequence[str], *, verbose: bool = False) -> None:
    for line in summarised(warnings, verbose=verbose):
        console.print(f"[yellow]warning:[/] {inert(line)}")


def _arrow(row: Row) -> str:
    colour = "green" if row.movement > 0 else "red" if row.movement < 0 else "dim"
    return f"[{colour}]{row.arrow}[/]"


WIDE_COLUMNS = 120  # below this, reasons are one line in the table and in full under it


def print_leaderboard(
    console: Console, board: Leaderboard, *, languages: bool = False, wide: bool = False
) -> None:
    """Before (performance order) and after (efficiency re-ranking), with every reason: in
    the table when the terminal is wide (or `wide`), else one compact line per row there
    and the full reasons, numbered, under it."""
    wide = wide or console.width >= WIDE_COLUMNS
    tasks = board.shown_tasks
    rule = board.rule
    console.print(
        f"\n[bold]{inert(board.competition)}[/] — stage [bold]{inert(board.stage)}[/] "
        f"({board.status}), hardware {inert(repr(board.hardware))}"
    )
    metrics = ", ".join(
        f"{t} {metric_label(board.metrics[t])}" for t in tasks if t in board.metrics
    )
    before = Table(
        title="Performance order (before re-ranking)",
        title_justify="left",
        caption=inert(f"task scores: {metrics}") if metrics else None,  # a 0.00 says of what
        caption_justify="left",
    )
    figure = metric_name(board.efficiency_metric)
    for col in ("#", "team", "overall", *tasks, figure):
        before.add_column(col, justify="left" if col == "team" else "right")
    for row in board.performance_order():
        before.add_row(
            str(row.performance_place),
            inert(row.team),
            f"{row.overall:.2f}",
            *[_task_cell(row, t, languages) for t in tasks],
            duration_text(row.aggregate, board.efficiency_metric),
        )
    console.print(before)
    after = Grid(
        f"Final order (efficiency re-ranking: bonus {list(rule.bonus_places)}, "
        f"gap < {rule.max_score_gap:g} points, gain > {rule.min_efficiency_gain:.0%})",
        boxed=True,
    )  # a Grid: a long team name or reason is cut, never the places crushed
    places = ("perf.", "eff.") if wide else ()  # narrow: the places are in the reasons below
    heads = ("place", "move") if wide else ("#", "±")
    # billed training compute, where the rule shows it or budgets limit it (as on the web)
    shows_training = bool(board.rows) and board.rows[0].training_seconds is not None
    training = ("train CPU h",) if shows_training else ()
    for col in (*heads, "team", "overall", figure, *places, *training):
        after.column(col, right=col != "team", least=12 if col == "team" else 0)
    # wide: every reason in full, a line each; narrow: one line a row, in full under the table
    after.column("why", least=8, wrap=wide, spare=not wide)
    footnotes: list[str] = []
    for row in board.rows:
        if wide or not row.reasons:
            why = inert("\n".join(row.reasons), lines=True) or "-"
        else:
            footnotes.append(
                f"({len(footnotes) + 1}) {row.team} (performance {row.performance_place}, "
                f"efficiency {row.efficiency_place}): " + "; ".join(row.reasons)
            )
            why = f"({len(footnotes)}) {inert(compact_reason(row))}"
        numbers = (str(row.performance_place), str(row.efficiency_place)) if wide else ()
        after.add_row(
            str(row.place),
            _arrow(row),
            inert(row.team),
            f"{row.overall:.2f}",
            duration_text(row.aggregate, board.efficiency_metric),
            *numbers,
            *(f"{(row.training_seconds or 0.0) / 3600:.3f}" for _ in training),
            why,
        )
    for ref in board.references:
        after.add_row("ref", "", f"{inert(ref.team)} (reference)", f"{ref.overall:.2f}",
                      duration_text(ref.aggregate, board.efficiency_metric),
                      *(("-", "-") if wide else ()), *("-" for _ in training),
                      "never ranked")  # fmt: skip
    after.print(console)
    for note in footnotes:
        console.print(inert(note), highlight=False)  # wrapped at words, at the console's width
    if board.aggregate != "mean" or not board.rule.higher_is_better:
        console.print(f"[dim]{board.overall_text}[/]")
    print_decisions(console, board)
    for note in board.notes:
        console.print(f"[yellow]warning:[/] {inert(note)}")
    for team, why in board.unranked:
        console.print(f"[dim]not ranked: {inert(team)} ({inert(why)})[/]")


def compact_reason(row: Row) -> str:
    """A row's reasons in a few words: what happened to it, the numbers come below."""
    if row.movement > 0:
        return f"lifted {row.movement} place{'s' if row.movement > 1 else ''}"
    passed = [r for r in row.reasons if r.startswith("passed by")]
    if passed:
        return passed[0]
    refused = [r for r in row.reasons if r.startswith(("not lifted", "undecided"))]
    if refused:
        return refused[0].split(":")[0]
    return row.reasons[0].split(" (")[0]


def print_decisions(console: Console, board: Leaderboard) -> None:
    """Every examined move with its numbers; whether the board is still provisional."""
    if board.decisions:
        noise = board.noise
        basis = f"noise {noise.sigma:.3f} from {noise.source}" if noise else "single numbers"
        table = Grid(f"Decisions ({board.rule.confidence:.0%} confidence, {basis})")
        table.column("team", least=8, most=30)
        table.column("past", least=8, most=30)
        for col in ("gap", "gain", "interval", "runs", "decision"):
            table.column(col, right=True)
        for d in board.decisions:
            colour = {"moved": "green", "refused": "red"}.get(d.kind, "yellow")
            interval = f"{d.gain_ci[0]:.1%} to {d.gain_ci[1]:.1%}" if d.gain_ci else "-"
            table.add_row(
                inert(d.team), inert(d.past), f"{d.score_gap:.2f}", f"{d.gain:.1%}", interval,
                f"{d.runs[0]}/{d.runs[1]}", f"[{colour}]{d.kind}[/]",
            )  # fmt: skip
        table.print(console)
    for contest in board.contests:
        console.print(f"unsure ({contest.kind}): {contest.reason}", highlight=False, markup=False)
    if board.provisional:
        console.print(
            f"[yellow]provisional:[/] unsure comparisons that could change a place or a bonus "
            f"are re-measured when the stage is published, or now with "
            f"`podium remeasure --stage {board.stage}`"
        )
        console.print(
            f"photo finish budget: {board.photo_finish_runs} runs per team "
            f"({board.photo_finish_budget})",
            highlight=False,
            markup=False,
        )
    elif board.closing:
        console.print("[green]final:[/] what the close did")
        for line in board.closing:
            console.print(f"  {line}", highlight=False, markup=False)
    print_warnings(console, board.warnings)


def print_comparison(console: Console, published: Leaderboard, simulated: Leaderboard) -> None:
    """A what-if: the stored measurements under the published rule and under another."""

    def rule_text(board: Leaderboard) -> str:
        r = board.rule
        return (f"bonus {list(r.bonus_places)}, gap < {r.max_score_gap:g}, "
                f"gain > {r.min_efficiency_gain:.1%}, {r.confidence:.0%} confidence")  # fmt: skip

    places = {row.team: row.place for row in simulated.rows}
    table = Grid(f"stage {published.stage}: published rule vs what-if")
    table.column("team", least=10, most=30)
    for col in ("performance", "published", "what-if", "change"):
        table.column(col, right=True)
    for row in published.rows:
        change = row.place - places[row.team]
        table.add_row(
            inert(row.team), str(row.performance_place), str(row.place), str(places[row.team]),
            "=" if change == 0 else f"{change:+d}",
        )  # fmt: skip
    table.print(console)
    for title, board in (("published", published), ("what-if", simulated)):
        console.print(f"\n[bold]{title}[/]: {rule_text(board)}")
        print_decisions(console, board)


def _task_cell(row: Row, task: str, languages: bool) -> str:
    if task not in row.tasks:
        return "-"
    cell = f"{row.tasks[task]:.2f}"
    if languages:
        cell += "\n" + " ".join(f"{lang}:{v:.1f}" for lang, v in row.languages[task].items())
    return cell


def print_outcomes(console: Console, outcomes: Sequence[RunOutcome]) -> None:
    """A run a line; on a narrow terminal each error is numbered and given in full below."""
    if not outcomes:
        console.print("nothing queued")
        return
    table, notes = Grid("Evaluated"), Notes(console)
    table.column("run", right=True)
    table.column("team", least=10, most=28)
    table.column("stage", least=5, most=12)
    table.column("att.", right=True)
    table.column("status", least=6)
    table.column("overall", right=True)
    table.column("seconds", right=True)
    table.column("error", least=8, spare=not notes.wide)
    for o in outcomes:
        colour = {"scored": "green", "failed": "red"}.get(o.status, "yellow")
        table.add_row(
            str(o.run_id),
            inert(o.team),
            inert(o.stage),
            str(o.attempt),
            f"[{colour}]{o.status}[/]",
            "-" if o.overall is None else f"{o.overall:.2f}",
            "-" if o.duration is None else f"{o.duration:.3f}",
            notes.cell(f"run {o.run_id} of {o.team}", error_note(o.error, o.run_id)),
        )
    table.print(console)
    notes.print()


def _status(sub: dict[str, Any], flagged: Collection[int]) -> str:
    if sub.get("review") == "disqualified":
        return f"{sub['status']}, disqualified"
    if sub["id"] in flagged and sub.get("review") is None:
        return f"{sub['status']}, under review"
    return str(sub["status"])


def print_submissions(
    console: Console, subs: Sequence[dict[str, Any]], flagged: Collection[int] = ()
) -> None:
    """A submission a line (who sent it, when a personal token did); errors as in
    `print_outcomes`, a line per kind; the sha256 by its first 8 digits (`--json` has it
    whole). `subs`: the records of `podium submissions --json` (here or from a server);
    `flagged` (the organizer's view): marked "under review" until decided."""
    table, notes = Grid("Submissions"), Notes(console)
    table.column("id", right=True)
    table.column("team", least=10, most=28)
    table.column("stage", least=5, most=12)
    table.column("att.", right=True)
    table.column("status", least=6)
    table.column("sha256", least=8, most=8)
    table.column("run", right=True)
    table.column("by", least=5, most=16)
    table.column("error", least=8, spare=not notes.wide)
    for sub in subs:
        last = sub["runs"][-1] if sub["runs"] else None
        table.add_row(
            str(sub["id"]),
            inert(sub["team"]),
            inert(sub["stage"]),
            str(sub["attempt"] or "-"),  # none: cancelled
            inert(_status(sub, flagged)),
            sub["sha256"][:8],
            str(last["id"]) if last else "-",
            inert(sub["member"] or "-"),
            notes.cell(f"submission {sub['id']} of {sub['team']}",
                       error_note(last["error"], last["id"]) if last else ""),
        )  # fmt: skip
    table.print(console)
    notes.print()


def print_hall_of_fame(console: Console, entries: Sequence[FameEntry]) -> None:
    """A winner a line; the members wrap at words under their team."""
    if not entries:
        console.print("the hall of fame is empty")
        return
    names = {e.competition_name for e in entries}
    one = names.pop() if len(names) == 1 else None  # then named once, in the title
    table = Grid(f"Hall of fame of {inert(one)}" if one else "Hall of fame")
    table.column("id", right=True)  # what `--tile ID` takes
    if one is None:
        table.column("competition", least=11, most=24)
    table.column("stage", least=5, most=12)
    table.column("place", right=True)
    table.column("team", least=12, most=28)
    table.column("members", least=14, wrap=True)
    table.column("overall", right=True)
    table.column("seconds", right=True)
    for e in entries:
        table.add_row(
            str(e.id),
            *(() if one else (inert(e.competition_name),)),
            inert(e.stage_name),
            ordinal(e.place),
            inert(e.team_name),
            inert(e.members or "-"),
            f"{e.score:.2f}",
            f"{e.duration_seconds:.3f}",
        )
    table.print(console)


def print_manifest(
    console: Console, manifest: Manifest, layout: CompetitionLayout, *, verbose: bool = False
) -> None:
    table = Grid(f"Data ({manifest.source}, seed {manifest.seed})")
    for col in ("task", "language", "train", "dev", "eval", "final"):
        table.column(col, right=col not in ("task", "language"), least=6 if col == "task" else 0)
    for task, langs in manifest.counts.items():
        for lang, counts in langs.items():
            table.add_row(
                task, lang, *[str(counts.get(k, 0)) for k in ("train", "dev", "eval", "final")]
            )
    table.print(console)
    _print_canaries(console, manifest)
    print_warnings(console, [*manifest.warnings, *manifest.thin()], verbose=verbose)
    root = layout.root
    for what, path in (("public data", layout.public_dir), ("sealed data", layout.sealed_dir),
                       ("manifest", layout.manifest_file)):  # fmt: skip
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        console.print(f"{what}: {inert(str(shown))}", highlight=False)


def _print_canaries(console: Console, manifest: Manifest) -> None:
    """Each task's canaries (sealed, never scored): how many per split, or why none."""
    record = manifest.canaries
    if record is None:
        console.print("canaries: none (prepared before podium had them)")
        return
    for task, how in record.perturbations.items():
        if how is None:
            console.print(f"canaries of {task}: {inert(record.notes.get(task, 'none'))}")
            continue
        per_split: dict[str, int] = {}
        for counts in record.counts.get(task, {}).values():
            for split, n in counts.items():
                per_split[split] = per_split.get(split, 0) + n
        shown = ", ".join(f"{split} {n}" for split, n in per_split.items()) or "none made"
        console.print(
            f"canaries of {task}: {shown} ({inert(how)}; share {record.share:g})", highlight=False
        )
    if not record.contrasts:
        console.print("contrast canaries: none (prepared before podium had them)")
    for task, how in record.contrasts.items():
        if how is None:
            note = record.contrast_notes.get(task, "none")
            console.print(f"contrast canaries of {task}: {inert(note)}", highlight=False)
            continue
        totals: dict[str, int] = {}
        for counts in record.contrast_counts.get(task, {}).values():
            for split, n in counts.items():
                totals[split] = totals.get(split, 0) + n
        shown = ", ".join(f"{split} {n}" for split, n in totals.items()) or "none made"
        console.print(
            f"contrast canaries of {task}: {shown} ({inert(how)}; share {record.contrast_share:g})",
            highlight=False,
        )


def print_check(console: Console, report: CheckReport) -> None:
    result = report.result
    table = Grid("Scores on local data")
    for col in ("task", "language", "metric", "score", "examples"):
        table.column(col, right=col in ("score", "examples"), least=6 if col == "task" else 0)
    for row in result.scores:
        counted = "" if report.metrics.get(row.task) == row.metric else " [dim](reported)[/]"
        table.add_row(
            row.task, row.language, row.metric + counted, f"{row.value:.2f}", str(row.count)
        )
    if result.scores:
        table.print(console)
        tasks = ", ".join(f"{t} {v:.2f}" for t, v in report.task_scores.items())
        console.print(f"overall {report.overall:.2f} ({tasks})")
    for i, m in enumerate(result.measurements):
        console.print(
            f"test phase {i + 1}: {m.wall_seconds:.3f} s wall, "
            f"{m.cpu_user_seconds + m.cpu_system_seconds:.3f} s CPU, "
            f"{m.peak_rss_bytes / 1024**2:.0f} MiB peak memory, {m.bytes_written} bytes written; "
            f"{energy_text(m.cpu_energy_joules, m.gpu_energy_joules, m.energy_note)}"
        )
    console.print(f"harness overhead: {result.harness_seconds:.3f} s")
    if result.status == "scored":
        console.print("[green]the submission meets the contract[/]")
    else:
        console.print(
            f"[red]contract violation or failure:[/] {inert(result.error or '', lines=True)}"
        )
        if result.log_tail:
            console.print("[bold]log tail[/]")
            console.print(inert(result.log_tail, lines=True))


def energy_text(cpu: float | None, gpu: float | None, note: str | None) -> str:
    """A repeat's net energy as people read it, with what was not measured."""
    parts = [f"{label} {joules:.1f} J" for label, joules in (("CPU", cpu), ("GPU", gpu))
             if joules is not None]  # fmt: skip
    text = "energy " + " + ".join(parts) + " net of idle" if parts else "no energy figure"
    return f"{text} ({note})" if note else text


def print_calibration(
    console: Console, noise: NoiseReport, configured: float, *, lean_source: str = "default"
) -> None:
    console.print(
        f"{noise.runs} runs: median {noise.median:.3f} s, min {noise.minimum:.3f} s, "
        f"max {noise.maximum:.3f} s (spread {noise.relative_spread:.1%} of the median)"
    )
    console.print(
        f"recommended min_efficiency_gain: {noise.recommended_min_gain:.3f} "
        f"(noise alone exceeds it in < {1 - noise.quantile:.0%} of comparisons, "
        f"with repeats = {noise.repeats}); configured: {configured:.3f}"
    )
    if noise.recommended_min_gain > configured:
        console.print(
            "[yellow]the configured gain is below this machine's noise: raise it, or raise "
            "\\[efficiency] repeats[/]"
        )  # fmt: skip
    if noise.canaries is not None:
        print_lean(console, noise.canaries, source=lean_source)


def print_lean(console: Console, lean: LeanReport, *, source: str = "default") -> None:
    """The baseline's canary gap, the honest lean it recommends, and the lean now in force
    (`source`: set by this calibration, by competition.toml, or the default) with the
    false-positive rate it implies for a model like the baseline."""
    c = lean.counts
    console.print(
        f"canaries: {c.canaries} pairs, gap {c.gap:+.3f} (originals minus canaries); "
        f"{c.discordant} discordant, {c.original_wins} won by the original"
    )
    rate = (f"which flags a model like this one in {percent(lean.false_positive)} of runs "
            f"(suspect_p = {lean.suspect_p:g})")  # fmt: skip
    if not c.discordant:
        console.print(f"no discordant pair: nothing measured, nothing set; honest_lean stays "
                      f"{lean.configured_lean:.2f} ({source}), {rate}")  # fmt: skip
    elif source == "calibration":
        console.print(
            f"honest_lean set to {lean.configured_lean:.2f} by this calibration (the upper "
            f"99% bound of the baseline's lean; stored, and every run from now on is judged "
            f"with it), {rate}"
        )
    else:
        console.print(
            f"recommended honest_lean: {lean.recommended_lean:.2f}; {source} sets "
            f"{lean.configured_lean:.2f}, {rate}"
        )
        if lean.recommended_lean > lean.configured_lean:
            console.print("[yellow]the configured lean is below this baseline's: raise "
                          "\\[integrity] honest_lean[/]")  # fmt: skip


def percent(share: float) -> str:
    """A small rate readable at any size: 2 significant digits, never rounded to 0%."""
    return f"{100 * share:.2g}%"
