"""The schedule rule: which stages open and close at `now`, and the time left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from podium.config.spec import StageSpec, parse_spec
from podium.config.template import render_default_spec
from podium.core.errors import SpecError
from podium.rules.schedule import (
    Transition,
    countdown,
    day_start,
    duration_text,
    next_day,
    plan,
)

PARIS = timezone(timedelta(hours=1))
OPENS = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)  # 08:00 UTC
CLOSES = datetime(2026, 12, 15, 18, 0, tzinfo=PARIS)


def stage(name: str = "evaluation", **kw: object) -> StageSpec:
    return StageSpec.model_validate({"name": name, "split": "eval", **kw})


def test_a_pending_stage_opens_at_its_time_not_a_microsecond_before() -> None:
    stages = [stage(opens=OPENS, closes=CLOSES)]
    before = datetime(2026, 12, 1, 7, 59, 59, 999999, tzinfo=UTC)
    assert plan(stages, {"evaluation": "pending"}, before).transitions == []
    at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # the same instant, written in UTC
    assert plan(stages, {"evaluation": "pending"}, at).transitions == [
        Transition("evaluation", "open")
    ]


def test_an_open_stage_closes_at_its_time_in_any_offset() -> None:
    stages = [stage(opens=OPENS, closes=CLOSES)]
    tokyo = timezone(timedelta(hours=9))
    just_before = CLOSES.astimezone(tokyo) - timedelta(microseconds=1)
    assert plan(stages, {"evaluation": "open"}, just_before).transitions == []
    assert plan(stages, {"evaluation": "open"}, CLOSES.astimezone(tokyo)).transitions == [
        Transition("evaluation", "close")
    ]


def test_a_window_wholly_past_opens_and_closes_at_once() -> None:
    stages = [stage(opens=OPENS, closes=CLOSES)]
    later = CLOSES + timedelta(days=30)
    assert plan(stages, {"evaluation": "pending"}, later).transitions == [
        Transition("evaluation", "open"),
        Transition("evaluation", "close"),
    ]


def test_a_stage_closed_by_hand_never_reopens_and_nothing_is_done_twice() -> None:
    stages = [stage(opens=OPENS, closes=CLOSES)]
    during = OPENS + timedelta(hours=1)
    assert plan(stages, {"evaluation": "closed"}, during).transitions == []
    assert plan(stages, {"evaluation": "open"}, during).transitions == []  # opened already


def test_one_stage_closes_before_the_next_opens_at_the_same_instant() -> None:
    first = stage("first", opens=OPENS, closes=CLOSES)
    second = stage("second", opens=CLOSES, closes=CLOSES + timedelta(days=7))
    got = plan([first, second], {"first": "open", "second": "pending"}, CLOSES)
    assert got.transitions == [Transition("first", "close"), Transition("second", "open")]


def test_a_stage_due_waits_while_another_is_open_by_hand() -> None:
    manual = stage("manual")
    timed = stage("timed", opens=OPENS)
    got = plan([manual, timed], {"manual": "open", "timed": "pending"}, OPENS)
    assert got.transitions == []
    assert got.waiting == {"timed": "stage 'manual' is still open"}


def test_unscheduled_stages_are_left_alone() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert plan([stage()], {"evaluation": "open"}, now).transitions == []
    assert plan([stage()], {"evaluation": "pending"}, now).transitions == []


def test_countdown_names_the_next_change() -> None:
    st = stage(opens=OPENS, closes=CLOSES)
    now = OPENS - timedelta(hours=2, minutes=5)
    pending = countdown(st, "pending", now)
    assert pending is not None and pending.text(now) == "opens in 2 h 5 min"
    now = CLOSES - timedelta(days=3, hours=4, minutes=59)
    open_ = countdown(st, "open", now)
    assert open_ is not None and open_.text(now) == "closes in 3 d 4 h"
    assert countdown(st, "closed", now) is None
    assert countdown(stage(), "open", now) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "0 s"), (0, "0 s"), (59, "59 s"), (61, "1 min 1 s"), (3600, "1 h 0 min"),
     (86400 + 3599, "1 d 0 h")],
)  # fmt: skip
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(timedelta(seconds=seconds)) == text


def test_days_are_utc_calendar_days_whatever_the_offset() -> None:
    late_in_tokyo = datetime(2026, 12, 2, 8, 30, tzinfo=timezone(timedelta(hours=9)))
    assert day_start(late_in_tokyo) == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_day(late_in_tokyo) == datetime(2026, 12, 2, tzinfo=UTC)


# -- competition.toml ------------------------------------------------------------------------


def spec_with(lines: str) -> str:
    return render_default_spec().replace(
        'name = "evaluation"\nsplit = "eval"\n', f'name = "evaluation"\nsplit = "eval"\n{lines}\n'
    )


def test_schedule_keys_parse_with_offsets() -> None:
    spec = parse_spec(
        spec_with(
            "opens = 2026-12-01T09:00:00+01:00\ncloses = 2026-12-15T17:00:00Z\nmax_per_day = 2"
        )
    )
    evaluation = spec.stage("evaluation")
    assert evaluation.opens == OPENS
    assert evaluation.closes == datetime(2026, 12, 15, 17, 0, tzinfo=UTC)
    assert evaluation.max_per_day == 2


def test_a_naive_time_is_refused_naming_the_stage_with_an_example() -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(spec_with("opens = 2026-12-01T09:00:00"))
    message = err.value.message
    assert "stage 'evaluation'" in message and "no UTC offset" in message
    assert "opens = 2026-12-01T09:00:00+01:00" in message


def test_closes_before_opens_is_refused() -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(
            spec_with("opens = 2026-12-01T09:00:00+01:00\ncloses = 2026-12-01T08:00:00Z")
        )  # the same instant: not after
    assert "stage 'evaluation': closes" in err.value.message
    assert "must come after opens" in err.value.message


@pytest.mark.parametrize("bad", ["max_per_day = 0", 'opens = "tomorrow"', "closes = 12"])
def test_bad_schedule_values_name_the_field(bad: str) -> None:
    with pytest.raises(SpecError, match=r"stages\.0"):
        parse_spec(spec_with(bad))


def test_the_final_is_not_scheduled() -> None:
    text = render_default_spec().replace(
        'name = "final"\nsplit = "final"\n',
        'name = "final"\nsplit = "final"\nopens = 2026-12-01T09:00:00Z\n',
    )
    with pytest.raises(SpecError, match="the final is not scheduled"):
        parse_spec(text)
