"""`podium remeasure` (a photo finish on demand) and `podium rules simulate` (what-if)."""

from pathlib import Path
from typing import Annotated

import typer

from podium.cli.options import (
    CompetitionOpt,
    JsonOpt,
    QuietOpt,
    console,
    emit_json,
    open_podium,
    progress,
)
from podium.core.errors import PodiumError

rules_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, help="Try the re-ranking rule on stored results."
)


def remeasure(
    stage: Annotated[str, typer.Option(help="the stage whose undecided moves to re-measure")],
    competition: CompetitionOpt = Path("."),
    quiet: QuietOpt = False,
) -> None:
    """Photo finish: re-measure both teams of every undecided move, interleaved."""
    from podium.cli.render import print_decisions, print_outcomes

    with open_podium(competition) as podium:
        outcomes = podium.photo_finish.run(stage, progress=progress(quiet))
        print_outcomes(console(), outcomes)
        print_decisions(console(), podium.results.leaderboard(stage, organizer=True))


@rules_app.command("simulate")
def simulate(
    stage: Annotated[str, typer.Option(help="the stage whose measurements to replay")],
    gap: Annotated[float | None, typer.Option(help="max_score_gap (points)")] = None,
    gain: Annotated[float | None, typer.Option(help="min_efficiency_gain (0.1 = 10%)")] = None,
    bonus: Annotated[str | None, typer.Option(help="bonus places, e.g. 3,2,1")] = None,
    confidence: Annotated[float | None, typer.Option(help="e.g. 0.9")] = None,
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
) -> None:
    """Replay a stage's stored measurements under another rule; nothing is changed."""
    from podium.cli.render import print_comparison

    try:
        places = [int(b) for b in bonus.split(",") if b.strip()] if bonus else None
    except ValueError:
        raise PodiumError(
            f"--bonus {bonus!r} is not a list of places", hint="--bonus 3,2,1"
        ) from None
    with open_podium(competition) as podium:
        published, simulated = podium.results.what_if(
            stage, gap=gap, gain=gain, bonus=places, confidence=confidence
        )
        if json_out:
            emit_json({"published": published.to_dict(), "what_if": simulated.to_dict()})
        else:
            print_comparison(console(), published, simulated)
