"""Issue 17 end to end: a real redis-server, `podium serve` and `podium worker` processes on
localhost, the bubblewrap sandbox on the workers. Three teams are scored once each; `kill -9`
of the worker running a submission re-runs it on the other (one scored run, attempt kept);
a worker token is refused everywhere else; a worker whose fingerprint differs is shown and
its runs are not compared."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from podium.harness.cgroups import host_hierarchy
from podium.service import Podium
from podium.submission.archive import pack_folder

from ..conftest import CONSTANT_PREDICT, write_submission
from ..harness.conftest import hostile_cup, needs_bwrap
from ..web.test_serve_hostile import Server, _wait

pytestmark = [
    needs_bwrap,
    pytest.mark.skipif(
        host_hierarchy()[0] is None, reason=f"no writable cgroup hierarchy: {host_hierarchy()[1]}"
    ),
]
SLOW = "import time\ntime.sleep(3)\n" + CONSTANT_PREDICT


class Worker:
    def __init__(self, server: Server, token: str, cache: Path, **env: str) -> None:
        self.cache = cache
        self.log_path = cache.with_suffix(".log")
        self.log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "podium", "worker", "--server", server.url, "--token", token,
             "--hardware", "local", "--cache", str(cache)],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **env},
        )  # fmt: skip

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _state(root: Path) -> dict[str, Any]:
    with Podium.open(root) as podium:
        subs = podium.submissions.find()
        return {
            "subs": {s.id: (s.team.name, s.status, [(r.status, r.worker_id) for r in s.runs])
                     for s in subs},
            "workers": {w.name: w for w in podium.fleet.workers()},
        }  # fmt: skip


def test_two_workers_score_three_teams_once_and_survive_kill_9(tmp_path: Path, broker: str) -> None:
    lease = f'[workers]\nbroker = "{broker}"\nlease_seconds = 3.0\nheartbeat_seconds = 0.5\n'
    cup = hostile_cup(tmp_path / "cup", extra=lease, timeout=30.0)
    for team in ("Ada", "Bo", "Cy"):
        cup.setup.add_team(team)
    tokens = {t: cup.tokens.create("team", team=t) for t in ("Mallory", "Ada", "Bo", "Cy")}
    workers = [cup.tokens.create("worker", label=f"w{i}") for i in (1, 2)]
    odd = cup.tokens.create("worker", label="w3")
    root = cup.competition.root
    cup.close()
    server = Server(root, tmp_path / "serve.log")
    fleet = [Worker(server, token, tmp_path / f"cache{i}") for i, token in enumerate(workers)]
    try:
        _wait(lambda: len(_state(root)["workers"]) == 2, "both workers to say hello")
        quick = write_submission(tmp_path / "quick", CONSTANT_PREDICT)
        slow = write_submission(tmp_path / "slow", SLOW)
        ids = [server.upload(tokens["Ada"], quick), server.upload(tokens["Bo"], quick)]
        victim_sub = server.upload(tokens["Mallory"], slow)

        def running_victim() -> int | None:
            runs = _state(root)["subs"][victim_sub][2]
            return runs[-1][1] if runs and runs[-1][0] == "running" else None

        _wait(lambda: running_victim() is not None, "the slow submission to start")
        holder = running_victim()
        names = {w.id: name for name, w in _state(root)["workers"].items()}
        victim = fleet[int(names[holder][1:]) - 1]  # type: ignore[index]
        victim.stop(signal.SIGKILL)  # the machine dies mid-run
        left = victim.cache / "work"
        assert any(left.iterdir())  # its run's folders (tmpfs mounts) stay behind it

        def all_scored() -> bool:
            return all(s[1] == "scored" for s in _state(root)["subs"].values())

        _wait(all_scored, "every submission to be scored", seconds=90)
        state = _state(root)["subs"]
        assert sorted(s[0] for s in state.values()) == ["Ada", "Bo", "Mallory"]  # three teams
        for sub_id in ids:
            assert [r[0] for r in state[sub_id][2]] == ["scored"]  # once each
        with Podium.open(root) as podium:  # workers run the same sandbox, and say so
            run = podium.results.run(podium.submissions.find()[0].runs[-1].id)
            assert run.enforcement["system_calls"].startswith("seccomp filter, default deny")
        victim_runs = state[victim_sub][2]
        assert [r[0] for r in victim_runs] == ["platform_error", "scored"]
        assert victim_runs[0][1] == holder and victim_runs[1][1] != holder  # on the other
        me = httpx.get(f"{server.url}/api/teams/Mallory", timeout=10,
                       headers={"Authorization": f"Bearer {tokens['Mallory']}"}).json()  # fmt: skip
        assert json.dumps(me).count('"attempts_left"') >= 1 and "98" in json.dumps(me)

        # a worker token is refused everywhere but the worker routes; they refuse others
        worker_auth = {"Authorization": f"Bearer {workers[0]}"}
        for method, path in (("GET", "/api/leaderboard"), ("GET", "/api/teams/Ada"),
                             ("GET", "/api/me"), ("POST", "/api/stages/evaluation/close")):  # fmt: skip
            refused = httpx.request(method, server.url + path, headers=worker_auth, timeout=10)
            assert refused.status_code == 403, (path, refused.text)
        upload = httpx.post(server.url + "/api/submissions", headers=worker_auth, timeout=10,
                            files={"file": ("s.zip", pack_folder(quick), "application/zip")})  # fmt: skip
        assert upload.status_code == 403
        for token in (tokens["Ada"], None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            claim = httpx.post(server.url + "/api/worker/claim", json={"submission_id": ids[0]},
                               headers=headers, timeout=10)  # fmt: skip
            assert claim.status_code in (401, 403)
        for split in ("eval", "final"):  # only while it runs a run of that split
            inputs = httpx.get(f"{server.url}/api/worker/inputs/{split}", headers=worker_auth,
                               timeout=30)  # fmt: skip
            assert inputs.status_code == 403, inputs.text
        log = fleet[1 - fleet.index(victim)].log_path.read_text()
        assert "labels" not in log

        # the machine comes back (systemd restarts it): it cleans up what the killed run left
        index = fleet.index(victim)
        fleet[index] = Worker(server, workers[index], victim.cache)
        _wait(lambda: not any(left.iterdir()), "the restarted worker to clean up")

        # a machine that differs: shown, and its runs not compared
        for worker in fleet:
            worker.stop()
        other = Worker(server, odd, tmp_path / "cache3",
                       PODIUM_FINGERPRINT_EXTRA='{"gpu": "another card"}')  # fmt: skip
        fleet.append(other)
        _wait(lambda: "w3" in _state(root)["workers"], "the third worker to say hello")
        assert not _state(root)["workers"]["w3"].alike
        server.upload(tokens["Cy"], slow)  # a new team: its only run is on the odd machine
        _wait(all_scored, "the third worker's run", seconds=60)
        listing = subprocess.run([sys.executable, "-m", "podium", "workers", "-c", str(root),
                                  "--json"], capture_output=True, text=True, check=True)  # fmt: skip
        shown = {w["name"]: w for w in json.loads(listing.stdout)["workers"]}
        assert shown["w3"]["differs"] == ["gpu"] and shown["w1"]["alike"]
        board = httpx.get(server.url + "/api/leaderboard", timeout=10).json()
        assert any("different gpu" in note for note in board["notes"])
    finally:
        for worker in fleet:
            worker.stop()
        server.stop()


def test_a_photo_finish_runs_interleaved_on_one_worker_when_the_stage_closes(
    tmp_path: Path, broker: str
) -> None:
    extra = (
        f'[workers]\nbroker = "{broker}"\nlease_seconds = 3.0\nheartbeat_seconds = 0.5\n'
        "[reranking]\nmax_score_gap = 30\n[efficiency]\nphoto_finish_runs = 2\nreference_every = 0\n"
    )
    cup = hostile_cup(tmp_path / "cup", extra=extra, timeout=30.0)
    for team in ("Steady", "Swift"):
        cup.setup.add_team(team)
    tokens = {t: cup.tokens.create("team", team=t) for t in ("Steady", "Swift")}
    organizer = cup.tokens.create("organizer")
    machines = [cup.tokens.create("worker", label=f"w{i}") for i in (1, 2)]
    root = cup.competition.root
    cup.close()
    server = Server(root, tmp_path / "serve.log")
    fleet = [Worker(server, token, tmp_path / f"cache{i}") for i, token in enumerate(machines)]
    try:
        _wait(lambda: len(_state(root)["workers"]) == 2, "both workers to say hello")
        steady = "import time\ntime.sleep(0.3)\n" + CONSTANT_PREDICT
        swift = ("import time\ntime.sleep(0.2)\n" + CONSTANT_PREDICT).replace(
            '"pawsx": "1"', '"pawsx": "0"'
        )
        server.upload(tokens["Steady"], write_submission(tmp_path / "steady", steady))
        server.upload(tokens["Swift"], write_submission(tmp_path / "swift", swift))
        _wait(lambda: all(s[1] == "scored" for s in _state(root)["subs"].values())
              and len(_state(root)["subs"]) == 2, "both to be scored")  # fmt: skip
        board = httpx.get(server.url + "/api/leaderboard", timeout=10).json()
        assert board["provisional"] and [d["kind"] for d in board["decisions"]] == ["undecided"]
        closed = httpx.post(server.url + "/api/stages/evaluation/close", timeout=10,
                            headers={"Authorization": f"Bearer {organizer}"})  # fmt: skip
        assert closed.status_code == 200 and closed.json()["publishing"]

        def remeasured() -> list[tuple[int, int | None, str]]:
            with Podium.open(root) as podium:
                teams = {s.id: s.team.name for s in podium.submissions.find()}
                return [(r.id, r.worker_id, teams[r.submission_id])
                        for s in podium.submissions.find() for r in s.runs
                        if r.kind == "remeasure" and r.status == "scored"]  # fmt: skip

        def published() -> bool:
            board = httpx.get(server.url + "/api/leaderboard", timeout=10).json()
            return not board["provisional"]

        _wait(published, "the photo finish to decide or spend its budget", seconds=90)
        runs = sorted(remeasured())
        assert 2 <= len(runs) <= 4 and len({worker for _, worker, _ in runs}) == 1
        assert [team for _, _, team in runs] == ["Steady", "Swift"] * (len(runs) // 2)
        [decision] = httpx.get(server.url + "/api/leaderboard", timeout=10).json()["decisions"]
        assert decision["runs"] == [1 + len(runs) // 2] * 2
    finally:
        for worker in fleet:
            worker.stop()
        server.stop()
