"""How a duration is written on pages, in the terminal and in the charts: `1.23 s ±4%`."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from podium.report.durations import (
    duration_text,
    interval_label,
    interval_title,
    number,
    plus_minus,
    unit_of,
)
from podium.rules.leaderboard import Aggregate


def measured(
    median: float,
    interval: tuple[float, float],
    level: float,
    runs: int,
    metric: str = "wall_time",
) -> Aggregate:
    return Aggregate(
        overall=70.0,
        tasks={},
        languages={},
        duration=median,
        duration_min=interval[0],
        duration_max=interval[1],
        duration_ci95=interval,
        duration_ci_level=level,
        repeats=runs,
        duration_metric=metric,
    )


def test_a_duration_is_its_median_and_the_half_width_of_its_interval() -> None:
    agg = measured(1.23, (1.18, 1.28), 0.96, 9)  # half-width 0.05 = 4.07% of 1.23
    assert duration_text(agg) == "1.23 s ±4%"
    cpu = measured(1.23, (1.18, 1.28), 0.96, 9, "cpu_time")
    assert duration_text(cpu, "cpu_time") == "1.23 s ±4%"
    energy = measured(1.23, (1.18, 1.28), 0.96, 9, "energy")
    assert duration_text(energy, "energy") == "1.23 J ±4%"
    # no energy counter for this run: its wall time stands in, and says so
    assert duration_text(agg, "energy") == "1.23 s wall ±4%"


def test_one_run_is_written_without_an_interval() -> None:
    assert duration_text(measured(1.23, (1.23, 1.23), 0.0, 1)) == "1.23 s"
    assert interval_title(measured(1.23, (1.23, 1.23), 0.0, 1)) == "1 run, no interval"


def test_the_tooltip_says_the_level_the_interval_really_has() -> None:
    many = measured(1.23, (1.18, 1.28), 0.9609, 9)
    assert interval_title(many) == "95% interval: 1.18–1.28 s (9 runs)"
    few = measured(2.0, (1.9, 2.4), 0.75, 3)
    assert interval_title(few, "energy") == "75% interval, 3 runs: 1.90–2.40 J"
    assert interval_label(0.5, 2) == "50% interval, 2 runs"
    assert interval_label(0.9375, 5) == "93% interval, 5 runs"  # never rounded up to 94%
    assert interval_label(0.9609, 9) == "95% interval"  # reaches the asked level: says it
    assert interval_label(0.9609, 9, confidence=0.99) == "96% interval, 9 runs"
    assert interval_label(0.0, 1) == "1 run, no interval"


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.0407, "±4%"), (0.125, "±12%"), (0.004, "±0.4%"), (0.0, "±0%"), (0.0096, "±1%")],
)
def test_the_plus_minus_is_a_whole_percent_unless_below_one(share: float, text: str) -> None:
    assert plus_minus(share) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.2345, "1.23"),
        (12.345, "12.3"),
        (123.45, "123"),
        (1234.5, "1234"),
        (0.012345, "0.0123"),
        (9.996, "10.0"),
        (99.96, "100"),
        (0.0, "0.00"),
    ],
)
def test_numbers_keep_three_significant_digits(value: float, text: str) -> None:
    assert number(value) == text


def test_units_follow_the_efficiency_metric() -> None:
    units: Sequence[tuple[str, str]] = [("wall_time", "s"), ("cpu_time", "s"), ("energy", "J")]
    assert [unit_of(metric) for metric, _ in units] == [unit for _, unit in units]
