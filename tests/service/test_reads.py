"""The read boundary: what the service answers with holds no ORM object (so nothing above it
follows a relationship a query did not load), and a board or a team page is read in one
snapshot (one read transaction)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

from podium.service import Podium
from podium.store.models import Base

from .conftest import constant


def _orm_objects(value: Any, seen: set[int] | None = None) -> list[Any]:
    """Every ORM object reachable from `value` through dataclasses, mappings and sequences."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, str | bytes | int | float | type(None)):
        return []
    seen.add(id(value))
    if isinstance(value, Base):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children: Any = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, Mapping):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        children = value
    else:
        return []
    return [o for child in children for o in _orm_objects(child, seen)]


@contextmanager
def _transactions(podium: Podium) -> Iterator[list[bool]]:
    began: list[bool] = []

    def count(_conn: Any) -> None:
        began.append(True)

    event.listen(podium.competition.engine, "begin", count)
    try:
        yield began
    finally:
        event.remove(podium.competition.engine, "begin", count)


def test_no_orm_object_crosses_the_service_boundary(podium: Podium, tmp_path: Path) -> None:
    receipt = podium.submissions.submit(constant(tmp_path), team="Alpha")
    [outcome] = podium.evaluation.evaluate_pending()
    podium.finals.close_stage("evaluation", publish=False)
    reads: dict[str, Callable[[], Any]] = {
        "stages": podium.setup.stages,
        "teams": podium.setup.teams,
        "submissions": podium.submissions.find,
        "submission": lambda: podium.submissions.get(receipt.submission_id),
        "run": lambda: podium.results.run(outcome.run_id),
        "team page": lambda: podium.results.team("Alpha"),
        "board": lambda: podium.boards.board("evaluation"),
        "hall of fame": podium.finals.hall_of_fame,
        "cached hall of fame": podium.boards.hall_of_fame,
        "calibration": podium.results.calibration,
        "workers": podium.workers.fleet,
        "news": podium.news.outbox,
        "new team": lambda: podium.setup.add_team("Gamma", ["Di"]),
    }
    for name, read in reads.items():
        value = read()
        assert value or name in (
            "calibration",
            "workers",
            "news",
            "hall of fame",
            "cached hall of fame",
        )
        assert _orm_objects(value) == [], name


def test_a_board_and_a_team_page_are_each_one_read_snapshot(podium: Podium, tmp_path: Path) -> None:
    for _ in range(2):
        podium.submissions.submit(constant(tmp_path), team="Alpha")
    podium.evaluation.evaluate_pending()
    with _transactions(podium) as began:
        page = podium.results.team("Alpha")
    assert len(began) == 1 and len(page.submissions) == 2 and len(page.aggregates) == 2
    with _transactions(podium) as began:
        board = podium.boards.board("evaluation")
    assert len(began) == 1  # the board in one snapshot (the revision: one plain read before)
    with _transactions(podium) as began:
        assert podium.boards.board("evaluation") is board
    assert len(began) == 0  # the revision only, one plain read on a pooled connection


def test_a_page_of_several_answers_reads_one_moment_in_a_snapshot(
    podium: Podium, tmp_path: Path
) -> None:
    podium.submissions.submit(constant(tmp_path), team="Alpha")
    podium.evaluation.evaluate_pending()
    with _transactions(podium) as began, podium.snapshot():
        stages, teams = podium.setup.stages(), podium.setup.teams()
        subs, timing = podium.submissions.find(), podium.results.timing()
        board = podium.boards.board("evaluation")
        workers = podium.workers.fleet()
    assert len(began) == 1  # the admin page's parts, as of one moment
    assert [st.name for st in stages] == ["evaluation", "final"] and len(teams) == 2
    assert [r.run_id for r in board.leaderboard.rows] == [subs[0].runs[-1].id]
    assert timing.metric and workers == []
