"""`[efficiency] metric = "energy"`: the rule compares the net joules stored per repeat.

This machine has no RAPL counters and no GPU, so the evaluations store no energy (and say
why); the tests then write energy figures into those stored measurements, as an evaluator
with counters would have, and read the leaderboard the service derives from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import update

from podium.cli.render import print_leaderboard
from podium.cli.report import write_report
from podium.service import Podium
from podium.store.models import Measurement

from ..conftest import CONSTANT_PREDICT, write_submission

WORSE = CONSTANT_PREDICT.replace('"entailment", "pawsx": "1"', '"neutral", "pawsx": "0"')


@pytest.fixture
def cup(competition_dir: Path, tmp_path: Path) -> Iterator[tuple[Podium, dict[str, int]]]:
    """Alpha scores higher than Beta; both evaluated with two repeats under metric energy."""
    toml = competition_dir / "competition.toml"
    toml.write_text(toml.read_text() + '\n[efficiency]\nmetric = "energy"\nrepeats = 2\n')
    podium = Podium.open(competition_dir)
    podium.setup.add_team("Alpha")
    podium.setup.add_team("Beta")
    podium.setup.open_stage("evaluation")
    podium.submissions.submit(write_submission(tmp_path / "a", CONSTANT_PREDICT), team="Alpha")
    podium.submissions.submit(write_submission(tmp_path / "b", WORSE), team="Beta")
    outcomes = podium.evaluation.evaluate_pending()
    assert [o.status for o in outcomes] == ["scored", "scored"], outcomes
    yield podium, {o.team: o.run_id for o in outcomes}
    podium.close()


def store_energy(
    podium: Podium, run_id: int, repeat: int, cpu: float | None, gpu: float | None
) -> None:
    """What an evaluator with counters would have stored for this repeat."""
    with podium.competition.sessions.begin() as s:
        s.execute(
            update(Measurement)
            .where(Measurement.run_id == run_id, Measurement.repeat == repeat)
            .values(cpu_energy_joules=cpu, gpu_energy_joules=gpu, energy_note=None)
        )


def test_without_counters_each_repeat_says_why_and_the_rule_is_withheld(
    cup: tuple[Podium, dict[str, int]],
) -> None:
    podium, runs = cup
    for m in podium.results.run(runs["Alpha"]).to_dict()["measurements"]:
        assert m["cpu_energy_joules"] is None and m["gpu_energy_joules"] is None
        assert m["energy_note"] == "no RAPL counters at /sys/class/powercap; no NVML"
    board = podium.results.leaderboard("evaluation")
    assert [r.team for r in board.rows] == ["Alpha", "Beta"]
    assert board.notes == (
        "energy was not measured for Alpha, Beta (no counter on that machine); "
        "the efficiency re-ranking is withheld",
    )
    # the figure shown is the wall time, and says so
    assert {r.aggregate.duration_metric for r in board.rows} == {"wall_time"}


def test_the_rule_compares_net_energy(cup: tuple[Podium, dict[str, int]]) -> None:
    podium, runs = cup
    store_energy(podium, runs["Alpha"], 0, 100.0, None)
    store_energy(podium, runs["Alpha"], 1, 110.0, None)
    store_energy(podium, runs["Beta"], 0, 8.0, 2.0)  # CPU and GPU add up
    store_energy(podium, runs["Beta"], 1, None, 12.0)  # one counter is enough
    board = podium.results.leaderboard("evaluation")
    assert board.notes == ()
    beta, alpha = board.rows
    assert (beta.team, beta.place, beta.performance_place) == ("Beta", 1, 2)
    assert alpha.team == "Alpha" and alpha.overall > beta.overall
    assert beta.duration == pytest.approx(11.0) and alpha.duration == pytest.approx(105.0)
    assert [(d.team, d.past) for d in board.decisions if d.granted] == [("Beta", "Alpha")]
    document = board.to_dict()
    assert document["efficiency_metric"] == "energy" and document["efficiency_unit"] == "J"
    assert document["rows"][0]["duration_metric"] == "energy"
    console = Console(record=True, width=200)
    print_leaderboard(console, board)
    text = console.export_text()
    assert "energy" in text and "wall time" not in text and "11.0 J" in text
    assert "<th>energy</th><th>perf. place</th>" in write_report(podium).read_text()


def test_a_repeat_without_any_counter_withholds_the_rule(
    cup: tuple[Podium, dict[str, int]],
) -> None:
    podium, runs = cup
    store_energy(podium, runs["Alpha"], 0, 100.0, None)
    store_energy(podium, runs["Alpha"], 1, 110.0, None)
    store_energy(podium, runs["Beta"], 0, 10.0, None)  # its second repeat read no counter
    board = podium.results.leaderboard("evaluation")
    assert [r.team for r in board.rows] == ["Alpha", "Beta"] and board.decisions == ()
    assert board.notes == (
        "energy was not measured for Beta (no counter on that machine); "
        "the efficiency re-ranking is withheld",
    )
    alpha, beta = board.rows
    assert alpha.aggregate.duration_metric == "energy" and alpha.duration == 105.0
    assert beta.aggregate.duration_metric == "wall_time"  # a wall time, never a zero energy
    console = Console(record=True, width=200)
    print_leaderboard(console, board)
    assert " s wall" in console.export_text()
