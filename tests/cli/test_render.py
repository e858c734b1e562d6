"""The terminal leaderboard writes every duration as the pages do: `1.23 s ±4%`."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console

from podium.cli.render import print_leaderboard
from podium.rules.leaderboard import BoardSettings, RunFacts, Timing, build_leaderboard
from podium.rules.ranking import RerankRule

from ..report.test_charts import METRICS, facts


def table(runs: tuple[RunFacts, ...], metric: str = "wall_time") -> str:
    board = build_leaderboard(
        BoardSettings(competition="cup", metrics=METRICS, hardware="ref-cpu", rule=RerankRule()),
        stage="evaluation",
        status="open",
        runs=runs,
        teams=[r.team for r in runs],
        timing=Timing(metric=metric),
    )
    console = Console(record=True, width=200)
    print_leaderboard(console, board)
    return console.export_text()


def test_durations_carry_their_interval_and_a_single_run_none() -> None:
    out = table(
        (
            facts("Steady", 1, 1, 70.0, 70.0, [1.18, 1.23, 1.28]),  # ±0.05 of 1.23
            facts("Once", 1, 2, 60.0, 60.0, [2.5]),
        )
    )
    assert out.count("1.23 s ±4%") == 2  # before and after the re-ranking
    assert out.count("2.50 s ") == 2 and "2.50 s ±" not in out


def test_energy_is_written_in_joules() -> None:
    runs = tuple(
        replace(facts(team, 1, i, score, score, [1.0, 1.1, 0.9]), samples={"energy": joules})
        for i, (team, score, joules) in enumerate(
            [("Frugal", 70.0, [40.0, 42.0, 44.0]), ("Hungry", 72.0, [400.0, 410.0, 420.0])]
        )
    )
    out = table(runs, "energy")
    assert out.count("42.0 J ±5%") == 2 and out.count("410 J ±2%") == 2
