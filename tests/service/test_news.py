"""News through a real webhook listener: who hears what, and delivery that fails without ever
holding up evaluation."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.core.errors import SpecError
from podium.service import Podium

from ..conftest import write_submission
from ..webhook import Listener, listening
from .conftest import constant


def notify_table(
    listener: Listener, *, port: int | None = None, extra: str = "", query: str = ""
) -> str:
    def url(path: str) -> str:
        return f"json://127.0.0.1:{port or listener.port}/{path}{query}"

    return (
        f'\n[notify]\nurls = ["{url("all")}"]\n{extra}'
        f'[notify.teams]\nAlpha = ["{url("alpha")}"]\nBeta = ["{url("beta")}"]\n'
    )


def open_notifying(root: Path, table: str) -> Podium:
    with (root / "competition.toml").open("a") as spec:
        spec.write(table)
    podium = Podium.open(root)
    podium.setup.add_team("Alpha", ["Ann"])
    podium.setup.add_team("Beta", ["Cy"])
    return podium


@pytest.fixture
def listener() -> Iterator[Listener]:
    with listening() as heard:
        yield heard


def crash(tmp_path: Path) -> Path:
    return write_submission(tmp_path / "crash", "raise SystemExit(3)")


def test_runs_reach_their_team_and_stages_reach_everyone(
    competition_dir: Path, listener: Listener, tmp_path: Path
) -> None:
    with open_notifying(competition_dir, notify_table(listener)) as podium:
        podium.setup.open_stage("evaluation")
        first = podium.submissions.submit(constant(tmp_path), team="Alpha")
        failed = podium.submissions.submit(crash(tmp_path), team="Beta")
        podium.evaluation.evaluate_pending()
        podium.finals.close_stage("evaluation")
        podium.finals.run()
        podium.finals.reveal()
        assert podium.news.deliver().sent == len(podium.news.outbox(100))
    scored = listener.wait_for("alpha", f"submission {first.submission_id} in stage evaluation")
    assert "scored" in scored and " s" in scored  # score and duration as written elsewhere
    reason = listener.wait_for("beta", f"submission {failed.submission_id}")
    assert "failed" in reason and "3" in reason  # the exit code the team sees
    assert not any("Alpha" in m for m in listener.messages("beta"))
    assert not any("Beta" in m for m in listener.messages("alpha"))
    listener.wait_for("all", "Stage evaluation is open")
    listener.wait_for("all", "The leaderboard of stage evaluation changed: 1. Alpha")
    listener.wait_for("all", "Stage evaluation is closed")
    listener.wait_for("all", "The final of test cup is revealed: 1. Alpha")
    # the final ran hidden: its team heard it finished, nobody heard a score before the reveal
    final_news = [m for m in listener.messages("alpha") if "stage final" in m]
    assert final_news and all("has finished" in m and "scored" not in m for m in final_news)
    assert not any("stage final changed" in m for m in listener.messages("all"))


def test_the_leaderboard_is_announced_only_when_its_order_changes(
    competition_dir: Path, listener: Listener, tmp_path: Path
) -> None:
    with open_notifying(competition_dir, notify_table(listener)) as podium:
        podium.setup.open_stage("evaluation")
        podium.submissions.submit(constant(tmp_path), team="Alpha")
        podium.evaluation.evaluate_pending()
        podium.submissions.submit(constant(tmp_path, "again"), team="Alpha")
        podium.evaluation.evaluate_pending()
        boards = [m for m in podium.news.outbox(100) if m.kind == "leaderboard"]
        assert len(boards) == 1 and boards[0].data == {"order": ["Alpha"]}
        podium.submissions.submit(constant(tmp_path, "beta"), team="Beta")
        podium.evaluation.evaluate_pending()
        boards = [m for m in podium.news.outbox(100) if m.kind == "leaderboard"]
        assert len(boards) == 2 and set(boards[0].data["order"]) == {"Alpha", "Beta"}


@pytest.mark.parametrize("trouble", ["500", "unreachable", "slow"])
def test_failing_delivery_never_holds_up_evaluation_and_gives_up_after_its_tries(
    competition_dir: Path,
    tmp_path: Path,
    trouble: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PODIUM_TEST_HOOK_KEY", "k3y-never-shown")
    query = "?key=${PODIUM_TEST_HOOK_KEY}"
    slow = 1.0 if trouble == "slow" else 0.0  # five times the channel's timeout
    with listening(status=500 if trouble == "500" else 200, delay=slow) as bad:
        port = None
        if trouble == "unreachable":
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]  # closed again: nobody listens there
        options = "tries = 3\nretry_seconds = 0.01\ntimeout_seconds = 0.2\n"
        table = notify_table(bad, port=port, extra=options, query=query)
        with open_notifying(competition_dir, table) as p:
            p.setup.open_stage("evaluation")
            p.submissions.submit(crash(tmp_path), team="Alpha")
            p.evaluation.evaluate_pending()
            p.submissions.submit(constant(tmp_path), team="Alpha")
            [honest] = p.evaluation.evaluate_pending()
            assert honest.status == "scored"  # the failing channel held nothing up
            with caplog.at_level(logging.WARNING, logger="podium.news"):
                for _ in range(3):
                    p.news.deliver()
                    _make_due(p)  # the doubling wait, over now
            rows = p.news.outbox(100)
            assert rows and all(r.status == "failed" and r.tries == 3 for r in rows)
            assert all(r.last_error and "k3y" not in r.last_error for r in rows)
    assert "giving up" in caplog.text and "json://…" in caplog.text
    assert "k3y-never-shown" not in caplog.text


def _make_due(podium: Podium) -> None:
    from sqlalchemy import update

    from podium.store.models import OutboxMessage, utcnow

    with podium.competition.sessions.begin() as s:
        s.execute(update(OutboxMessage).values(next_try_at=utcnow()))


def test_a_team_channel_naming_no_team_is_refused_with_a_suggestion(
    competition_dir: Path, listener: Listener
) -> None:
    table = f'\n[notify.teams]\nAlfa = ["{listener.url("x")}"]\n'
    with open_notifying(competition_dir, table) as podium, pytest.raises(SpecError) as err:
        podium.news.send_test()
    assert "Alfa" in err.value.message and "'Alpha'" in (err.value.hint or "")


def test_send_test_reaches_every_channel_now(competition_dir: Path, listener: Listener) -> None:
    with open_notifying(competition_dir, notify_table(listener)) as podium:
        results = podium.news.send_test()
    assert [r.error for r in results] == [None, None, None]
    for path in ("all", "alpha", "beta"):
        listener.wait_for(path, "this channel works")


def test_the_question_board_is_news_and_an_anonymous_asker_stays_anonymous(
    competition_dir: Path, listener: Listener
) -> None:
    with open_notifying(competition_dir, notify_table(listener)) as podium:
        alpha = podium.tokens.authenticate(podium.tokens.create("team", team="Alpha"))
        organizer = podium.tokens.authenticate(podium.tokens.create("organizer"))
        asked = podium.questions.ask(alpha, "Which GPU?", "Is it an A100?", anonymous=True)
        podium.questions.answer(organizer, asked.id, "An L4.")
        podium.news.deliver()
    heard = listener.wait_for("all", f"Question #{asked.id} from a team: Which GPU?")
    assert "Alpha" not in heard
    listener.wait_for("all", f"organizer answered question #{asked.id}: Which GPU?")
    assert not any("Alpha" in m for m in listener.messages("all"))


def test_a_scheduled_stage_is_announced_when_it_opens_and_closes(
    competition_dir: Path, listener: Listener
) -> None:
    from datetime import UTC, datetime, timedelta

    opens = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    spec = competition_dir / "competition.toml"
    stage = 'name = "evaluation"\nsplit = "eval"\n'
    assert stage in spec.read_text()
    times = f"opens = {opens.isoformat()}\ncloses = {(opens + timedelta(days=1)).isoformat()}\n"
    spec.write_text(spec.read_text().replace(stage, stage + times, 1))
    with open_notifying(competition_dir, notify_table(listener)) as podium:
        podium.schedule.apply(opens + timedelta(minutes=1))
        podium.news.deliver()
        listener.wait_for("all", "Stage evaluation is open")
        podium.schedule.apply(opens + timedelta(days=2))
        podium.news.deliver()
        listener.wait_for("all", "Stage evaluation is closed")
