"""`podium notify test|list`, and CLI commands that deliver the news they make."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..conftest import RUN_LIMIT, SMALL_SPEC
from ..patience import HANG
from ..webhook import listening

PODIUM = [sys.executable, "-m", "podium"]


def podium(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([*PODIUM, *args], env=env, capture_output=True, text=True, timeout=HANG)


def test_commands_deliver_their_news_and_the_outbox_fits_80_columns(tmp_path: Path) -> None:
    with listening() as heard:
        root = tmp_path / "cup"
        root.mkdir()
        (root / "competition.toml").write_text(
            SMALL_SPEC.format(timeout=RUN_LIMIT)
            + f'\n[notify]\nurls = ["{heard.url("all")}", "json://127.0.0.1:1/closed"]\n'
            + "timeout_seconds = 0.5\n"
            + f'[notify.teams]\n"A very long team name for narrow terminals" = ["{heard.url("t")}"]\n'
        )
        c = ("-c", str(root))
        assert (
            podium("team", "add", "A very long team name for narrow terminals", *c).returncode == 0
        )
        opened = podium("stage", "open", "evaluation", *c)
        assert opened.returncode == 0, opened.stderr
        # sent before the command ended, without waiting for a server
        assert any("Stage evaluation is open" in m for m in heard.messages("all"))
        closed = podium("stage", "close", "evaluation", *c)
        assert closed.returncode == 0, closed.stderr
        assert any("Stage evaluation is closed" in m for m in heard.messages("all"))
        assert any("Stage evaluation's results are final" in m for m in heard.messages("all"))

        listing = podium("notify", "list", *c)
        assert listing.returncode == 0, listing.stderr
        lines = listing.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines), listing.stdout
        assert sum(" sent " in line for line in lines) == 3  # opened, closed, results final
        assert sum(" pending " in line for line in lines) == 3  # the closed port: retried later

        tried = podium("notify", "test", *c)
        assert tried.returncode == 1  # one channel does not work: said, and the exit code
        assert tried.stdout.count("sent") == 2 and "FAILED notify.urls[1] json://…" in tried.stdout
        assert len(heard.messages("t")) == 1
