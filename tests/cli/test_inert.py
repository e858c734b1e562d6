"""What a submission or a person wrote reaches the organizer's terminal inert: a log that
sets the window title (OSC 0), writes the clipboard (OSC 52), clears the screen or opens Rich
markup is shown escaped by every command; `podium run` shows a run in every status (running
on a worker, reaped, waiting, failed, scored) and the next honest submission still scores."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from podium.cli.inert import escape_controls, inert, inert_json
from podium.cli.main import app
from podium.harness.fingerprint import machine_fingerprint
from podium.service import Podium
from podium.store.models import Run, utcnow

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, SMALL_SPEC, write_submission

pytestmark = pytest.mark.both_stores  # text the store holds, printed

# OSC 0 (window title), OSC 52 (clipboard), clear screen and home, an 8-bit CSI, a bidi
# override, and Rich markup that would make a link
HOSTILE = (
    "\\x1b]0;pwned\\x07\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x1b[H\\x9b31m\\u202e"
    "[link=https://evil.example]click[/link] [bold]"
)
NOISY = f"import sys\nprint('{HOSTILE}')\nprint('{HOSTILE}', file=sys.stderr)\n" + CONSTANT_PREDICT
TEAM = "[bold]Boss [link=mailto:x@evil.example]x"  # no "/": names refuse it
LIVE = ("\x1b", "\x9b", "\x07", "\u202e")  # none of these may reach the terminal


@dataclass
class Cup:
    root: Path
    runs: dict[str, int]  # a run of each status
    store: dict[str, str]

    def c(self, *args: str) -> str:
        env = {"COLUMNS": "200", **self.store}
        result = CliRunner().invoke(app, [*args, "-c", str(self.root)], env=env)
        assert result.exit_code == 0, result.stdout + result.stderr
        for char in LIVE:
            assert char not in result.stdout + result.stderr, (args, result.stdout)
        return result.stdout


@pytest.fixture(scope="module")
def cup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cup]:
    tmp = tmp_path_factory.mktemp("inert")
    root = tmp / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SMALL_SPEC.format(timeout=RUN_LIMIT))
    podium = Podium.open(root)
    try:
        podium.setup.prepare_data()
        podium.setup.add_team(TEAM, ["[red]Mallory"])
        podium.setup.add_team("Quick Lex", ["Alan"])
        podium.setup.open_stage("evaluation")
        noisy = podium.submissions.submit(write_submission(tmp / "noisy", NOISY), team=TEAM)
        [scored] = podium.evaluation.evaluate_pending()
        assert scored.status == "scored", scored.error
        who = podium.tokens.authenticate(podium.tokens.create("worker", label="gpu-01"))
        assert who is not None
        podium.workers.hello(who, "local", machine_fingerprint(podium.competition.spec_hash))
        held = podium.submissions.submit(tmp / "noisy", team="Quick Lex").submission_id
        lease = podium.leases.claim(who, held)
        assert lease is not None
        worker_id = podium.workers.fleet()[0].id
        waiting = podium.dispatch.request_remeasure(noisy.submission_id, worker_id)
    finally:
        podium.close()
    url = os.environ.get("PODIUM_STORE_URL")
    runs = {"scored": scored.run_id, "running": lease.run_id, "waiting": waiting}
    yield Cup(root, runs, {"PODIUM_STORE_URL": url} if url else {})


def test_a_hostile_log_and_names_print_escaped(cup: Cup) -> None:
    out = cup.c("run", str(cup.runs["scored"]))
    assert "\\x1b]52;c;ZXZpbA==" in out and "\\x1b]0;pwned" in out and "\\x1b[2J" in out
    assert "[link=https://evil.example]click[/link]" in out and "\\x9b31m" in out
    assert "Scores" in out  # the honest part of the record is all there
    data = json.loads(cup.c("run", str(cup.runs["scored"]), "--json"))
    assert "\x1b]52;c;" in data["log_tail"]  # --json keeps every character, escaped as JSON
    for command in (("team", "list"), ("leaderboard",), ("submissions",), ("hall-of-fame",)):
        out = cup.c(*command)
        assert "[bold]Boss" in out or command == ("hall-of-fame",), (command, out)
    assert "[red]Mallory" in cup.c("team", "list")


def test_podium_run_shows_a_run_in_every_status(cup: Cup, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in cup.store.items():  # on PostgreSQL, the module's database
        monkeypatch.setenv(name, value)
    for status in ("running", "waiting"):
        out = cup.c("run", str(cup.runs[status]))
        assert f": {status}" in out and "harness -" in out, out
    podium = Podium.open(cup.root)
    try:
        with podium.competition.sessions.begin() as s:  # the worker went quiet
            s.execute(
                update(Run).where(Run.id == cup.runs["running"]).values(lease_expires_at=utcnow())
            )
        [lost] = podium.leases.reap()
        assert lost.status == "platform_error"
        out = cup.c("run", str(cup.runs["running"]))
        assert ": platform_error" in out and "gpu-01" in out and "harness -" in out
        [honest] = podium.evaluation.evaluate_pending()  # the submission, queued again
        assert honest.status == "scored", honest.error
    finally:
        podium.close()
    assert "Scores" in cup.c("run", str(honest.run_id))


def test_inert_escapes_controls_and_markup_only() -> None:
    assert inert("a\x1b]0;t\x07b") == "a\\x1b]0;t\\x07b"
    assert inert("[bold]x[/]") == "\\[bold]x\\[/]"
    assert inert("one\ntwo\tthree") == "one\\ntwo\\tthree"
    assert inert("one\ntwo\tthree", lines=True) == "one\ntwo\tthree"
    assert escape_controls("\ud800\u202e\x9b") == "\\ud800\\u202e\\x9b"
    for text in ("Ünïcödé", "日本語", "كلمة", "ज़्यादा"):  # people's scripts stay as they are
        assert inert(text) == text
    assert json.loads(inert_json(json.dumps({"a": "\x9b\u202e"}, ensure_ascii=False))) == {
        "a": "\x9b\u202e"
    }
