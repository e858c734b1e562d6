"""A participant who never sees the server's folder, at the terminal only, against a real
`podium serve`: `podium check`, submit, status, cancel, the result of a failed and of a
scored run (errors grouped by kind), the leaderboard as the organizer prints it, the final
choice (refused once the final has run). The organizer's side (`podium evaluate`, `attempts
grant`, closing, the final) runs in the competition folder; the server does not evaluate,
so every step happens when the test says (no race with an evaluator). The organizer's steps
run in this process, but `podium attempts grant` and the local leaderboard it is compared
with."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium.service import Podium

from ..conftest import write_submission
from ..patience import HANG, answering
from ..web.conftest import Cup, make_cup

# every label an integer: 1 where a task wants a string, tags that are not a list
BAD_PREDICT = """
import json, os, pathlib
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in src.glob("*/*.jsonl"):
    (dst / f.parent.name).mkdir(exist_ok=True)
    with (dst / f.parent.name / f.name).open("w") as out:
        for line in f.open():
            out.write(json.dumps({"id": json.loads(line)["id"], "label": 1, "tags": 1}) + "\\n")
"""
NEWS = '[notify]\nurls = ["json://127.0.0.1:9/all"]\n'  # written to the outbox; never reached


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Cup]]:
    cup = make_cup(tmp_path, NEWS)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podium", "serve", "-c", str(cup.root), "--port", str(port),
             "--no-evaluate"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            answering(url + "/api/stages", proc=proc, log=log)
            yield url, cup
        finally:
            proc.terminate()
            proc.wait(timeout=HANG)


def podium(
    *args: str, ok: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "podium", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "80"},
        timeout=HANG,
    )
    assert (done.returncode == 0) == ok, (args, done.stdout, done.stderr)
    return done


def organize(cup: Cup, step: Callable[[Podium], object]) -> None:
    """An organizer's step in the competition folder (in this process: fewer starts)."""
    with Podium.open(cup.root) as p:
        step(p)


def said(done: subprocess.CompletedProcess[str]) -> str:
    """What a command printed on either stream, its lines wrapped at 80 columns joined."""
    return " ".join((done.stdout + done.stderr).split())


def test_a_participant_goes_from_check_to_final_choice_at_the_terminal(
    served: tuple[str, Cup], tmp_path: Path
) -> None:
    url, cup = served
    org = ("-c", str(cup.root))
    with Podium.open(cup.root) as p:  # what the participant downloads
        p.setup.export_public(tmp_path / "public")
    home = tmp_path / "participant"  # the participant's own folder: never the server's
    home.mkdir()
    good, bad = tmp_path / "constant", write_submission(home / "bad", BAD_PREDICT)
    me = ("--server", url, "--token", cup.lex)

    lost = said(podium("submissions", ok=False, cwd=home))  # no server named, no folder here
    assert "add --server URL --token TOKEN" in lost and "podium init" not in lost
    check = ("--data", str(tmp_path / "public"), "--runner", "subprocess")
    checked = podium("check", str(good), *check, cwd=home)
    assert "meets the contract" in checked.stdout
    refused = podium("check", str(bad), *check, ok=False, cwd=home).stdout
    assert "(labels are strings)" in refused and "\\n" not in refused  # lines, not `\n`
    assert "podium check` finds" not in refused  # said by `podium check` itself
    for folder in (bad, good, good):
        podium("submit", str(folder), *me, cwd=home)
    organize(cup, lambda p: p.evaluation.claim_next())  # #1 runs (its run ends as the server's
    status = said(podium("status", *me, cwd=home))  # fault when evaluation starts again)
    assert "attempts left 0 in evaluation" in status and "#1 running" in status
    assert "#3 queued, queue position 2" in status and "podium cancel 1" not in status
    assert f"`podium cancel 3 --server {url}` takes it back" in status

    # hostile: another team's token cancels nothing of ours; ours cancels only what waits
    other = podium("cancel", "3", "--server", url, "--token", cup.deep, ok=False, cwd=home)
    assert "belongs to another team" in said(other)
    cancelled = said(podium("cancel", "3", *me, cwd=home))
    assert "cancelled" in cancelled and "1 in evaluation" in cancelled
    assert "cancelled, not waiting" in said(podium("cancel", "3", *me, ok=False, cwd=home))

    organize(cup, lambda p: p.evaluation.evaluate_pending())
    assert "scored, not waiting" in said(podium("cancel", "2", *me, ok=False, cwd=home))

    listed = said(podium("submissions", *me, cwd=home))
    assert "cancelled" in listed and "times in" in listed
    failed = said(podium("run", "2", *me, cwd=home))
    assert "(labels are strings)" in failed and "files:" in failed and "times in" in failed
    assert failed.count("pawsx/en.jsonl:") <= 6  # five examples (and the files line), not all
    result = json.loads(podium("run", "3", *me, "--json", cwd=home).stdout)
    assert result["result"]["place"]["place"] == 1
    assert {"span_f1", "token_accuracy"} <= {s["metric"] for s in result["result"]["scores"]}
    assert result["result"]["timing"]["repeats"] >= 1 and result["fingerprint"]["cores"] >= 1

    # the board as the organizer sees it in the folder, line for line
    board = podium("leaderboard", *me, cwd=home).stdout
    assert board == podium("leaderboard", *org).stdout and "Final order" in board

    podium("attempts", "grant", "--team", "Quick Lex", "--stage", "evaluation",
           "--reason", "the runner crashed", *org)  # fmt: skip
    assert "attempts left 2 in evaluation" in said(podium("status", *me, cwd=home))
    assert "scored one" in said(podium("final", "select", "--submission", "1", *me, ok=False))
    podium("final", "select", "--submission", "2", *me, cwd=home)

    organize(cup, lambda p: p.finals.close_stage("evaluation", remeasure_here=False))
    organize(cup, lambda p: p.finals.run())
    late = podium("final", "select", "--submission", "2", *me, ok=False, cwd=home)
    assert "has already run" in said(late)
    organize(cup, lambda p: p.finals.reveal(remeasure=False))
    final = json.loads(podium("leaderboard", "--stage", "final", *me, "--json").stdout)
    assert [row["team"] for row in final["rows"]] == ["Quick Lex"]

    with Podium.open(cup.root) as p:  # the organizer's folder: what the news said
        news = {item.kind: item.body for item in p.news.outbox(limit=200)}
        trail = [(a.kind, a.actor) for a in p.choices.trail("Quick Lex")]
    assert "Quick Lex wins" in news["stage_won"]
    assert "1. Quick Lex" in news["final_revealed"]
    assert trail == [("cancelled", "team Quick Lex"), ("attempts_granted", "organizer"),
                     ("final_chosen", "team Quick Lex")]  # fmt: skip
