"""Scheduled stages in the service: on time, through the stage methods, once, and
max_per_day; a fixed `now` is injected rather than waited for."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from podium.core.errors import RuleError
from podium.rules.schedule import Transition
from podium.service import Podium

from ..conftest import RUN_LIMIT, SMALL_SPEC
from .conftest import constant

OPENS = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2030, 1, 3, 17, 0, tzinfo=UTC)
DURING = OPENS + timedelta(hours=5)


def timed_spec(lines: str) -> str:
    stage = 'name = "evaluation"\nsplit = "eval"\nattempts = 3\n'
    return SMALL_SPEC.format(timeout=RUN_LIMIT).replace(stage, stage + lines + "\n")


def make(tmp_path: Path, lines: str) -> Path:
    root = tmp_path / "timed"
    root.mkdir()
    (root / "competition.toml").write_text(timed_spec(lines))
    with Podium.open(root) as p:
        p.setup.prepare_data()
        p.setup.add_team("Alpha", ["Ann"])
        p.setup.add_team("Beta", ["Cy"])
    return root


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[Podium]:
    root = make(tmp_path, f"opens = {OPENS.isoformat()}\ncloses = 2030-01-03T18:00:00+01:00")
    with Podium.open(root) as p:
        yield p


def at(p: Podium, now: datetime) -> Podium:
    p.schedule.clock = p.submissions.clock = lambda: now
    return p


def status(p: Podium) -> dict[str, str]:
    return {st.name: st.status for st in p.setup.stages()}


def test_opens_and_closes_on_time_and_the_close_declares_the_winner(
    timed: Podium, tmp_path: Path
) -> None:
    assert timed.schedule.apply(OPENS - timedelta(seconds=1)) == []
    with pytest.raises(RuleError, match="opens at 2030-01-01 09:00 UTC"):
        at(timed, OPENS - timedelta(seconds=1)).submissions.submit(constant(tmp_path), team="Alpha")
    assert timed.schedule.apply(OPENS) == [Transition("evaluation", "open")]
    assert timed.schedule.apply(OPENS) == []  # applied again: nothing changes
    at(timed, DURING).submissions.submit(constant(tmp_path), team="Alpha")
    timed.evaluation.evaluate_pending()
    assert timed.schedule.apply(CLOSES - timedelta(microseconds=1)) == []
    assert timed.schedule.apply(CLOSES) == [Transition("evaluation", "close")]
    assert status(timed) == {"evaluation": "closed", "final": "pending"}
    [winner] = timed.finals.hall_of_fame()  # what `podium stage close` does happened
    assert (winner.stage_name, winner.team_name) == ("evaluation", "Alpha")
    assert timed.schedule.apply(CLOSES + timedelta(days=9)) == []


def test_the_front_ends_apply_the_schedule_and_a_late_stage_refuses_anyway(
    timed: Podium, tmp_path: Path
) -> None:
    """No service calls the schedule (no cycle through a callable): the CLI and the upload
    route apply it before submitting; a stage past its `closes` refuses even unapplied."""
    folder = constant(tmp_path)
    with pytest.raises(RuleError, match="no stage is open"):  # due to open, nobody applied it
        at(timed, DURING).submissions.submit(folder, team="Beta")
    timed.schedule.apply()  # what every command and the upload route do first
    assert timed.submissions.submit(folder, team="Beta").stage == "evaluation"
    with pytest.raises(RuleError, match="'evaluation' closed at 2030-01-03"):
        at(timed, CLOSES).submissions.submit(folder, team="Beta", stage="evaluation")
    timed.schedule.apply()
    with pytest.raises(RuleError, match="'evaluation' is closed, not open"):
        timed.submissions.submit(folder, team="Beta", stage="evaluation")
    with pytest.raises(RuleError, match="no stage is open"):
        timed.submissions.submit(folder, team="Beta")


def test_a_manual_close_wins_and_a_closed_stage_never_reopens(timed: Podium) -> None:
    timed.setup.open_stage("evaluation")  # early, by hand
    timed.finals.close_stage("evaluation")  # before `closes`, by hand
    for moment in (OPENS, DURING, CLOSES):
        assert timed.schedule.apply(moment) == []
    assert status(timed)["evaluation"] == "closed"


def test_two_processes_applying_at_once_close_once(timed: Podium) -> None:
    timed.schedule.apply(DURING)
    others = [Podium.open(timed.competition.root) for _ in range(3)]
    barrier, done = threading.Barrier(len(others)), []

    def apply(p: Podium) -> None:
        barrier.wait()
        done.extend(p.schedule.apply(CLOSES))

    threads = [threading.Thread(target=apply, args=(p,)) for p in others]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for p in others:
            p.close()
    assert done == [Transition("evaluation", "close")]
    assert status(timed)["evaluation"] == "closed"


def test_a_schedule_already_past_at_creation_opens_and_closes_at_first_look(
    tmp_path: Path,
) -> None:
    root = make(tmp_path, "opens = 2020-01-01T00:00:00Z\ncloses = 2020-01-02T00:00:00Z")
    with Podium.open(root) as p:
        assert p.schedule.apply() == [
            Transition("evaluation", "open"),
            Transition("evaluation", "close"),
        ]
        assert status(p)["evaluation"] == "closed"
        assert p.finals.hall_of_fame() == []  # nobody submitted: no winner, no crash


def test_runs_queued_at_the_close_are_still_scored_and_count(timed: Podium, tmp_path: Path) -> None:
    """A submission admitted before the close keeps its attempt: the close does not drop it;
    it is evaluated afterwards and appears on the closed stage's leaderboard (the winner is
    declared from what was scored at the close, as with `podium stage close`)."""
    at(timed, DURING).schedule.apply()  # as the command or the upload route does first
    timed.submissions.submit(constant(tmp_path), team="Alpha")
    assert timed.schedule.apply(CLOSES + timedelta(hours=1)) == [Transition("evaluation", "close")]
    assert [s.status for s in timed.submissions.find()] == ["queued"]
    [outcome] = timed.evaluation.evaluate_pending()
    assert outcome.status == "scored"
    assert [row.team for row in timed.results.leaderboard("evaluation").rows] == ["Alpha"]


def test_max_per_day_counts_utc_days_and_says_when_to_come_back(tmp_path: Path) -> None:
    root = make(tmp_path, "max_per_day = 1")
    folder = constant(tmp_path)
    late = datetime(2030, 5, 6, 23, 59, 59, tzinfo=UTC)
    with Podium.open(root) as p:
        p.setup.open_stage("evaluation")
        at(p, late).submissions.submit(folder, team="Alpha")
        assert p.submissions.attempts_left("Alpha") == {"evaluation": 0}
        assert p.submissions.attempts_left("Beta") == {"evaluation": 1}
        with pytest.raises(RuleError) as err:
            p.submissions.submit(folder, team="Alpha")
        assert "1 attempt(s) of today (UTC)" in err.value.message
        assert "next attempt is possible from 2030-05-07 00:00 UTC" in err.value.message
        assert len(p.submissions.find("Alpha")) == 1  # nothing stored
        at(p, late + timedelta(seconds=1))  # midnight UTC: a new day
        assert p.submissions.attempts_left("Alpha") == {"evaluation": 1}
        p.submissions.submit(folder, team="Alpha")
        at(p, late + timedelta(days=1, seconds=1)).submissions.submit(folder, team="Alpha")
        assert p.submissions.attempts_left("Alpha") == {"evaluation": 0}  # 3 of 3 used
        with pytest.raises(RuleError, match="used all 3 attempt"):
            at(p, late + timedelta(days=5)).submissions.submit(folder, team="Alpha")
