"""The huddle view's rules: reading `since`, and what changed between two leaderboards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from podium.rules.huddle import SinceError, parse_since, stage_changes
from podium.rules.leaderboard import BoardSettings, Leaderboard, RunFacts, build_leaderboard
from podium.rules.ranking import RerankRule

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
METRICS = {"xnli": "accuracy"}


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("24h", NOW - timedelta(hours=24)),
        ("90m", NOW - timedelta(minutes=90)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T09:00+01:00", datetime(2026, 11, 1, 8, tzinfo=UTC)),
        ("2026-11-01T09:00 01:00", datetime(2026, 11, 1, 8, tzinfo=UTC)),  # `+` sent unencoded
        ("2026-11-01T09:00Z", datetime(2026, 11, 1, 9, tzinfo=UTC)),
    ],
)
def test_since_reads_periods_dates_and_offsets(text: str, moment: datetime) -> None:
    assert parse_since(text, NOW) == moment


@pytest.mark.parametrize(
    "text",
    ["99999999d", "9999999d", "3661d", "../../etc", "", "7", "d", "-7d", "7w", "2026-13-01",
     "2027-01-01", "<script>", "2026-11-01T09:00+99:00", "1" * 5000, "7d; drop table runs",
     "0001-01-01T00:00+01:00", "٣d", "7d\x00"],
)  # fmt: skip
def test_hostile_since_is_a_clear_error_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(SinceError) as err:
        parse_since(text, NOW)
    message = err.value.message
    assert "7d, 24h" in message and "2026-11-01T09:00+01:00" in message
    assert len(message) < 300  # a huge value is not echoed back whole


def _facts(team: str, score: float, run_id: int, wall: float = 1.0) -> RunFacts:
    return RunFacts(
        team=team, members=(), submission_id=run_id, attempt=run_id, run_id=run_id,
        submitted_at=NOW - timedelta(days=10 - run_id),
        scores={("xnli", "en", "accuracy"): score}, walls=[wall, wall * 1.01, wall * 0.99],
        cpu_seconds=1.0, peak_rss_bytes=1, hardware="ref",
    )  # fmt: skip


def _board(runs: list[RunFacts]) -> Leaderboard:
    return build_leaderboard(BoardSettings(competition="c", metrics=METRICS, hardware="ref", rule=RerankRule()), stage="evaluation", status="open", runs=runs, teams=["Alpha", "Beta", "Gamma", "Delta"])  # fmt: skip


def test_changes_name_new_bests_moves_reasons_and_attempts() -> None:
    before = [_facts("Alpha", 80.0, 1), _facts("Beta", 70.0, 2), _facts("Gamma", 60.0, 3)]
    # since then: Beta improves past Alpha (surely faster, too), Delta enters, Gamma tries and
    # does worse
    after = [*before, _facts("Beta", 90.0, 4, wall=0.5), _facts("Delta", 75.0, 5),
             _facts("Gamma", 50.0, 6)]  # fmt: skip
    since = NOW - timedelta(days=7)
    changes = stage_changes(_board(before), _board(after), {"Beta": 1, "Delta": 1, "Gamma": 1,
                                                            "Epsilon": 2}, since)  # fmt: skip
    by_team = {t.team: t for t in changes.teams}
    assert [t.team for t in changes.teams] == ["Beta", "Alpha", "Delta", "Gamma", "Epsilon"]
    beta = by_team["Beta"]
    assert (beta.place_before, beta.place, beta.moved) == (2, 1, 1)
    assert beta.new_best and (beta.best_before, beta.best) == (70.0, 90.0)
    assert beta.reasons  # the leaderboard's reasons for its place ride along
    alpha = by_team["Alpha"]
    assert (alpha.moved, alpha.new_best, alpha.attempts) == (-1, False, 0)
    delta = by_team["Delta"]
    assert delta.place_before is None and delta.moved == 0 and delta.new_best
    gamma = by_team["Gamma"]
    assert (gamma.place_before, gamma.place, gamma.moved) == (3, 4, -1)
    assert not gamma.new_best and gamma.best == 60.0 and gamma.attempts == 1
    epsilon = by_team["Epsilon"]  # failed attempts only: listed, without a place
    assert epsilon.place is None and epsilon.attempts == 2
    document = changes.to_dict()
    assert document["since"] == since.isoformat() and document["teams"][0]["moved"] == 1


def test_nothing_changed_is_all_level() -> None:
    runs = [_facts("Alpha", 80.0, 1), _facts("Beta", 70.0, 2)]
    changes = stage_changes(_board(runs), _board(runs), {}, NOW)
    assert all(t.moved == 0 and not t.new_best and t.attempts == 0 for t in changes.teams)
