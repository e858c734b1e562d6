"""Photo finish, calibration, what-if and the reference clock, through the real service."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from podium.core.errors import SpecError
from podium.service import Podium
from podium.store.models import ReferenceTiming, Run

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission

SLEEPY = "import random, time\ntime.sleep(SECONDS * (1 + random.uniform(-0.2, 0.2)))\n"


def sleepy(seconds: float) -> str:
    """A correct submission whose test phase takes `seconds`, jittered by ±20% each run."""
    return SLEEPY.replace("SECONDS", str(seconds)) + CONSTANT_PREDICT


def _cup(tmp_path: Path, extra: str = "") -> Podium:
    root = tmp_path / "cup"
    root.mkdir()
    spec = SMALL_SPEC.format(timeout=RUN_LIMIT) + 'runner = "subprocess"\n' + extra
    (root / "competition.toml").write_text(spec)
    podium = Podium.open(root)
    podium.setup.prepare_data()
    podium.setup.add_team("Steady")
    podium.setup.add_team("Swift")
    podium.setup.open_stage("evaluation")
    return podium


def _submit_pair(podium: Podium, tmp_path: Path) -> None:
    """Swift is faster but scores a little lower: it answers pawsx with the rarer class."""
    steady = sleepy(0.3)
    swift = sleepy(0.2).replace('"pawsx": "1"', '"pawsx": "0"')
    podium.submissions.submit(write_submission(tmp_path / "steady", steady), team="Steady")
    podium.submissions.submit(write_submission(tmp_path / "swift", swift), team="Swift")
    assert [o.status for o in podium.evaluation.evaluate_pending()] == ["scored", "scored"]


@pytest.fixture
def pair(tmp_path: Path) -> Podium:
    rules = "[reranking]\nmax_score_gap = 30\n"
    podium = _cup(tmp_path, rules + "[efficiency]\nphoto_finish_runs = 3\nreference_every = 0\n")
    _submit_pair(podium, tmp_path)
    board = podium.results.leaderboard("evaluation")
    overall = {row.team: row.overall for row in board.rows}
    assert overall["Steady"] > overall["Swift"]  # the same data every time: a fixed gap
    return podium


def test_an_undecided_move_is_remeasured_interleaved_when_the_stage_is_published(
    pair: Podium,
) -> None:
    before = pair.results.leaderboard("evaluation")
    [decision] = [d for d in before.decisions if d.team == "Swift"]
    assert decision.kind == "undecided" and before.provisional  # one run each: not sure yet
    attempts = pair.submissions.attempts_left("Swift")
    pair.finals.close_stage("evaluation")
    runs = [r for s in pair.submissions.find() for r in s.runs]
    again = sorted((r for r in runs if r.kind == "remeasure"), key=lambda r: r.id)
    teams = {s.id: s.team for s in pair.submissions.find()}
    order = [teams[r.submission_id] for r in again]
    assert 2 <= len(order) <= 6 and len(order) % 2 == 0
    assert order == ["Steady", "Swift"] * (len(order) // 2)  # A, B, A, B: drift hits both
    assert pair.submissions.attempts_left("Swift") == attempts  # costs no attempt
    assert {s.status for s in pair.submissions.find()} == {"scored"}
    after = pair.results.leaderboard("evaluation")
    [decided] = [d for d in after.decisions if d.team == "Swift"]
    assert not after.provisional and decided.runs == (1 + len(order) // 2,) * 2
    assert decided.kind != "undecided" or "not sure" in decided.reason


def test_the_time_cap_stops_a_photo_finish_and_the_close_says_so(tmp_path: Path) -> None:
    extra = "[efficiency]\nphoto_finish_runs = 3\nphoto_finish_minutes = 0.000001\nreference_every = 0\n"
    podium = _cup(tmp_path, "[reranking]\nmax_score_gap = 30\n" + extra)
    _submit_pair(podium, tmp_path)
    assert podium.results.leaderboard("evaluation").contests  # something to re-measure
    podium.finals.close_stage("evaluation")
    report = podium.finals.close_report("evaluation")
    assert report is not None and report.remeasured == ()  # out of time before the first pair
    [note] = report.notes
    assert note.startswith("the time cap bound (photo_finish_minutes = 1e-06): 1 pair left")
    assert f"photo finish: {note}" in report.lines()
    assert not podium.results.leaderboard("evaluation").provisional  # final: timing-free rule


def test_remeasure_on_demand_and_what_if(pair: Podium) -> None:
    outcomes = pair.photo_finish.run("evaluation")
    assert {o.stage for o in outcomes} <= {"evaluation"} and len(outcomes) <= 6
    assert pair.photo_finish.run("evaluation") == []  # budget spent or decided: nothing more
    published, simulated = pair.results.what_if("evaluation", gain=0.9, bonus=[3])
    assert simulated.rule.min_efficiency_gain == 0.9 and simulated.rule.bonus_places == (3,)
    assert [r.team for r in simulated.rows] == ["Steady", "Swift"]  # nobody is 90% faster
    assert published.rule == pair.results.rule()
    with pytest.raises(SpecError, match="not a rule"):
        pair.results.what_if("evaluation", gain=1.5)


def test_a_calibration_is_stored_and_warns_about_a_lower_threshold(tmp_path: Path) -> None:
    podium = _cup(
        tmp_path, "[reranking]\nmin_efficiency_gain = 0.001\n[efficiency]\nreference_every = 0\n"
    )
    folder = write_submission(tmp_path / "base", sleepy(0.05))
    report = podium.evaluation.calibrate(folder, runs=4)
    stored = podium.results.calibration()
    assert stored is not None and len(stored.walls) == 4
    assert stored.recommended_gain == pytest.approx(report.recommended_min_gain)
    assert stored.sigma == pytest.approx(report.sigma) and stored.sigma > 0
    [warning] = podium.results.leaderboard("evaluation").warnings
    assert "min_efficiency_gain 0.001 is below the noise calibrated" in warning
    assert podium.results.timing().calibrated is not None


def test_the_reference_clock_is_timed_kept_and_read(tmp_path: Path) -> None:
    podium = _cup(tmp_path, "[efficiency]\nreference_every = 1\n")
    _submit_pair(podium, tmp_path)
    timings = podium.evaluation.reference.timings()
    assert len(timings) == 2 and all(t.wall_seconds > 0 for t in timings)  # at start, then 1 run
    board = podium.results.leaderboard("evaluation").to_dict()
    assert all(row["duration_relative"] > 0 for row in board["rows"])
    assert podium.evaluation.reference.drift(0.2) is None  # too few timings to judge
    with podium.competition.sessions.begin() as s:  # a machine that became three times slower
        s.add(ReferenceTiming(competition_id=podium.competition.id, hardware="local",
                              fingerprint={}, wall_seconds=timings[0].wall_seconds * 3))  # fmt: skip
    drift = podium.evaluation.reference.drift(0.1)
    assert drift is not None and drift.flagged and "may have changed" in drift.message
    with podium.competition.sessions() as s:
        assert s.scalars(select(Run).where(Run.kind == "remeasure")).all() == []
