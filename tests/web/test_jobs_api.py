"""`podium job` and `podium budget` against a real server: send, follow, fetch, refuse."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from podium.cli.main import app
from podium.harness.training import JobControl
from podium.submission.archive import pack_folder

from .conftest import Cup, make_cup

BUDGET = """
[budget]
cpu_hours = 0.01
[budget.teams."Deep Percept"]
cpu_hours = 0.0
"""
TRAIN = """
import os, pathlib
print("epoch 1 done", flush=True)
(pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"]) / "model.txt").write_text("weights")
"""


@pytest.fixture
def cup(tmp_path: Path) -> Cup:  # the `live` server's competition, with budgets
    return make_cup(tmp_path, BUDGET)


def podium_cli(*args: str) -> dict | list | str:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    try:
        return json.loads(result.output)  # type: ignore[no-any-return]
    except ValueError:
        return result.output


def test_a_team_runs_follows_and_fetches_a_job(cup: Cup, live: str, tmp_path: Path) -> None:
    job_cup, server = cup, live
    folder = tmp_path / "trainer"
    folder.mkdir()
    (folder / "podium.toml").write_text('[job]\ncommand = "python train.py"\n')
    (folder / "train.py").write_text(TRAIN)
    (folder / "vocab.bin").write_bytes(os.urandom(100_000))  # over a small body's 64 KiB
    auth = ["--server", server, "--token", job_cup.lex]
    auth_h = {"Authorization": f"Bearer {job_cup.lex}"}
    sent = podium_cli("job", "run", str(folder), *auth, "--json")
    assert isinstance(sent, dict)
    job_id = sent["job"]
    listed = podium_cli("job", "list", *auth, "--json")
    assert [(j["id"], j["status"]) for j in listed] == [(job_id, "queued")]  # type: ignore[index]
    # another team neither sees it nor may cancel it
    other = CliRunner().invoke(app, ["job", "cancel", str(job_id), "--server", server,
                                     "--token", job_cup.deep])  # fmt: skip
    assert other.exit_code != 0 and f"no training job {job_id}" in other.output
    p = job_cup.podium()  # the server's job thread, as one step
    try:
        assert p.jobs.run_next(p.evaluation.runner, JobControl()) is not None
    finally:
        p.close()
    log = podium_cli("job", "logs", str(job_id), *auth, "--follow")
    assert "epoch 1 done" in str(log)
    target = tmp_path / "out.tar.gz"
    podium_cli("job", "fetch", str(job_id), *auth, "--to", str(target))
    with tarfile.open(target) as tar:
        member = tar.extractfile("./model.txt")
        assert member is not None and member.read() == b"weights"
    (row,) = podium_cli("budget", *auth, "--json")  # type: ignore[misc]
    assert row["team"] == "Quick Lex" and 0 < row["cpu_hours"]["used"] < 0.01
    assert row["cpu_hours"]["left"] == pytest.approx(0.01 - row["cpu_hours"]["used"])
    # a team with nothing left is refused before anything queues, and told why
    refused = CliRunner().invoke(app, ["job", "run", str(folder), "--server", server,
                                       "--token", job_cup.deep])  # fmt: skip
    assert refused.exit_code != 0
    assert "spent its training budget" in " ".join(refused.output.split())
    bad = httpx.get(f"{server}/api/jobs/{job_id}/log", params={"offset": 2**70}, headers=auth_h)
    assert bad.status_code == 422  # a byte offset past any file is refused, not a crash
    page = httpx.get(
        f"{server}/api/teams/Quick%20Lex", headers={"Authorization": f"Bearer {job_cup.lex}"}
    )
    training = page.json()["training"]
    assert training["jobs"][0]["status"] == "done" and training["budget"] == row
    everyone = podium_cli("budget", "--server", server, "--token", job_cup.organizer, "--json")
    assert {r["team"] for r in everyone} == {"Quick Lex", "Deep Percept"}  # type: ignore[index]


def test_training_compute_shows_on_every_board(cup: Cup, live: str, tmp_path: Path) -> None:
    """A `[budget]` alone (the rule's `training_compute` left "off") puts each team's billed
    training compute on the web board, the API, the huddle and `podium leaderboard`, local
    and remote alike; what is left shows to organizers and the team itself only."""
    p = cup.podium()
    try:
        p.submissions.submit_data(cup.archive, team="Quick Lex", label="a", where="a")
        p.evaluation.evaluate_pending()
        folder = tmp_path / "trainer"
        folder.mkdir()
        (folder / "podium.toml").write_text('[job]\ncommand = "python train.py"\n')
        (folder / "train.py").write_text(TRAIN)
        (tmp_path / "t.tar.gz").write_bytes(pack_folder(folder))
        p.jobs.submit("Quick Lex", tmp_path / "t.tar.gz")
        p.jobs.run_next(p.evaluation.runner, JobControl())
    finally:
        p.close()
    html = {"accept": "text/html"}
    org = {**html, "Authorization": f"Bearer {cup.organizer}"}
    board = httpx.get(f"{live}/api/leaderboard").json()
    used = board["rows"][0]["training_seconds"]
    assert used > 0.0
    csv = httpx.get(f"{live}/api/leaderboard.csv").text.splitlines()
    assert csv[0].endswith(",training_cpu_seconds") and csv[1].endswith(f",{used:.6f}")
    page = httpx.get(f"{live}/leaderboard", headers=html).text
    assert "Training compute" in page and f"{used / 3600:.3f} CPU h" in page
    huddle = httpx.get(f"{live}/api/huddle", headers=org).json()
    assert huddle["stages"][0]["teams"][0]["training_seconds"] == used
    assert huddle["training_left"] == {
        "Quick Lex": pytest.approx(0.01 - used / 3600), "Deep Percept": 0.0,
    }  # fmt: skip
    seen = httpx.get(f"{live}/huddle", headers=org).text
    assert "Training compute" in seen and f"{0.01 - used / 3600:.3f} left" in seen
    anonymous = httpx.get(f"{live}/huddle", headers=html).text
    assert f"{used / 3600:.3f} CPU h" in anonymous and " left</small>" not in anonymous
    mine = httpx.get(f"{live}/api/huddle", headers={"Authorization": f"Bearer {cup.deep}"})
    assert mine.json()["training_left"] == {"Deep Percept": 0.0}  # its own only
    team_page = httpx.get(
        f"{live}/teams/Quick%20Lex", headers={**html, "Authorization": f"Bearer {cup.lex}"}
    ).text
    assert 'id="training"' in team_page and "CPU hours:" in team_page and "done" in team_page
    runner = CliRunner()
    local = runner.invoke(app, ["leaderboard", "-c", str(cup.root)], env={"COLUMNS": "80"})
    remote = runner.invoke(
        app, ["leaderboard", "--server", live, "--token", cup.organizer], env={"COLUMNS": "80"}
    )
    assert local.exit_code == 0 and remote.exit_code == 0, local.output + remote.output
    assert local.stdout == remote.stdout and "train CPU h" in local.stdout
    assert f"{used / 3600:.3f}" in local.stdout
    assert max(map(len, local.stdout.splitlines())) <= 80
