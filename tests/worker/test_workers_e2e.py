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
from ..harness.test_team_faults import BAD_NAME
from ..patience import HANG, wait_until
from ..web.test_serve_hostile import Server

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
                self.proc.wait(timeout=HANG)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _state(root: Path) -> dict[str, Any]:
    with Podium.open(root) as podium:
        subs = podium.submissions.find()
        return {
            "subs": {s.id: (s.team, s.status, [(r.status, r.worker_id) for r in s.runs])
                     for s in subs},
            "workers": {w.name: w for w in podium.workers.fleet()},
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
        wait_until(lambda: len(_state(root)["workers"]) == 2, "both workers to say hello")
        quick = write_submission(tmp_path / "quick", CONSTANT_PREDICT)
        slow = write_submission(tmp_path / "slow", SLOW)
        ids = [server.upload(tokens["Ada"], quick), server.upload(tokens["Bo"], quick)]
        victim_sub = server.upload(tokens["Mallory"], slow)

        def running_victim() -> int | None:
            runs = _state(root)["subs"][victim_sub][2]
            return runs[-1][1] if runs and runs[-1][0] == "running" else None

        wait_until(lambda: running_victim() is not None, "the slow submission to start")
        holder = running_victim()
        names = {w.id: name for name, w in _state(root)["workers"].items()}
        victim = fleet[int(names[holder][1:]) - 1]  # type: ignore[index]
        victim.stop(signal.SIGKILL)  # the machine dies mid-run
        left = victim.cache / "work"
        assert any(left.iterdir())  # its run's folders (tmpfs mounts) stay behind it

        def all_scored() -> bool:
            return all(s[1] == "scored" for s in _state(root)["subs"].values())

        wait_until(all_scored, "every submission to be scored")
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
        me = httpx.get(f"{server.url}/api/teams/Mallory", timeout=HANG,
                       headers={"Authorization": f"Bearer {tokens['Mallory']}"}).json()  # fmt: skip
        assert json.dumps(me).count('"attempts_left"') >= 1 and "98" in json.dumps(me)

        # a worker token is refused everywhere but the worker routes; they refuse others
        worker_auth = {"Authorization": f"Bearer {workers[0]}"}
        for method, path in (("GET", "/api/leaderboard"), ("GET", "/api/teams/Ada"),
                             ("GET", "/api/me"), ("POST", "/api/stages/evaluation/close")):  # fmt: skip
            refused = httpx.request(method, server.url + path, headers=worker_auth, timeout=HANG)
            assert refused.status_code == 403, (path, refused.text)
        upload = httpx.post(server.url + "/api/submissions", headers=worker_auth, timeout=HANG,
                            files={"file": ("s.zip", pack_folder(quick), "application/zip")})  # fmt: skip
        assert upload.status_code == 403
        for token in (tokens["Ada"], None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            claim = httpx.post(server.url + "/api/worker/claim", json={"submission_id": ids[0]},
                               headers=headers, timeout=HANG)  # fmt: skip
            assert claim.status_code in (401, 403)
        for split in ("eval", "final"):  # only while it runs a run of that split
            inputs = httpx.get(f"{server.url}/api/worker/inputs/{split}", headers=worker_auth,
                               timeout=HANG)  # fmt: skip
            assert inputs.status_code == 403, inputs.text
        log = fleet[1 - fleet.index(victim)].log_path.read_text()
        assert "labels" not in log

        # the machine comes back (systemd restarts it): it cleans up what the killed run left
        index = fleet.index(victim)
        fleet[index] = Worker(server, workers[index], victim.cache)
        wait_until(lambda: not any(left.iterdir()), "the restarted worker to clean up")

        # a machine that differs: shown, and its runs not compared
        for worker in fleet:
            worker.stop()
        other = Worker(server, odd, tmp_path / "cache3",
                       PODIUM_FINGERPRINT_EXTRA='{"gpu": "another card"}')  # fmt: skip
        fleet.append(other)
        wait_until(lambda: "w3" in _state(root)["workers"], "the third worker to say hello")
        assert not _state(root)["workers"]["w3"].alike
        server.upload(tokens["Cy"], slow)  # a new team: its only run is on the odd machine
        wait_until(all_scored, "the third worker's run")
        listing = subprocess.run([sys.executable, "-m", "podium", "workers", "-c", str(root),
                                  "--json"], capture_output=True, text=True, check=True)  # fmt: skip
        shown = {w["name"]: w for w in json.loads(listing.stdout)["workers"]}
        assert shown["w3"]["differs"] == ["gpu"] and shown["w1"]["alike"]
        board = httpx.get(server.url + "/api/leaderboard", timeout=HANG).json()
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
        wait_until(lambda: len(_state(root)["workers"]) == 2, "both workers to say hello")
        steady = "import time\ntime.sleep(0.3)\n" + CONSTANT_PREDICT
        swift = ("import time\ntime.sleep(0.2)\n" + CONSTANT_PREDICT).replace(
            '"pawsx": "1"', '"pawsx": "0"'
        )
        server.upload(tokens["Steady"], write_submission(tmp_path / "steady", steady))
        server.upload(tokens["Swift"], write_submission(tmp_path / "swift", swift))
        wait_until(lambda: all(s[1] == "scored" for s in _state(root)["subs"].values())
              and len(_state(root)["subs"]) == 2, "both to be scored")  # fmt: skip
        board = httpx.get(server.url + "/api/leaderboard", timeout=HANG).json()
        assert board["provisional"] and [d["kind"] for d in board["decisions"]] == ["undecided"]
        closed = httpx.post(server.url + "/api/stages/evaluation/close", timeout=HANG,
                            headers={"Authorization": f"Bearer {organizer}"})  # fmt: skip
        assert closed.status_code == 200 and closed.json()["publishing"]

        def remeasured() -> list[tuple[int, int | None, str]]:
            with Podium.open(root) as podium:
                teams = {s.id: s.team for s in podium.submissions.find()}
                return [(r.id, r.worker_id, teams[r.submission_id])
                        for s in podium.submissions.find() for r in s.runs
                        if r.kind == "remeasure" and r.status == "scored"]  # fmt: skip

        def published() -> bool:
            board = httpx.get(server.url + "/api/leaderboard", timeout=HANG).json()
            return not board["provisional"]

        wait_until(published, "the photo finish to decide or spend its budget")
        runs = sorted(remeasured())
        assert 2 <= len(runs) <= 4 and len({worker for _, worker, _ in runs}) == 1
        assert [team for _, _, team in runs] == ["Steady", "Swift"] * (len(runs) // 2)
        [decision] = httpx.get(server.url + "/api/leaderboard", timeout=HANG).json()["decisions"]
        assert decision["runs"] == [1 + len(runs) // 2] * 2
    finally:
        for worker in fleet:
            worker.stop()
        server.stop()


MANY_FILES = (
    CONSTANT_PREDICT
    + """
for i in range(1001):
    (dst / f"x{i}.jsonl").write_text("")
"""
)


def test_a_workers_run_with_outputs_it_cannot_send_is_the_teams_failure(
    tmp_path: Path, broker: str
) -> None:
    """A name that is not UTF-8 crashed the worker's report (it cannot be sent), and more
    files than the server reads made it refuse the report: the lease ran out and the run was
    blamed on the worker, three times. Now: `failed` with a reason (the name escaped), once;
    the NUL it printed is stored escaped on both stores; the next honest run scores."""
    lease = f'[workers]\nbroker = "{broker}"\nlease_seconds = 3.0\nheartbeat_seconds = 0.5\n'
    cup = hostile_cup(tmp_path / "cup", extra=lease, timeout=30.0)
    token = cup.tokens.create("team", team="Mallory")
    machine = cup.tokens.create("worker", label="w1")
    root = cup.competition.root
    cup.close()
    server = Server(root, tmp_path / "serve.log")
    worker = Worker(server, machine, tmp_path / "cache")
    try:
        noisy = "import sys\nsys.stdout.buffer.write(b'NUL\\x00HERE\\n')\n" + BAD_NAME
        bad = [server.upload(token, write_submission(tmp_path / name, code))
               for name, code in (("name", noisy), ("many", MANY_FILES))]  # fmt: skip
        good = server.upload(token, write_submission(tmp_path / "good", CONSTANT_PREDICT))

        def ended() -> bool:
            subs = _state(root)["subs"]
            return all(subs[i][1] not in ("queued", "running") for i in (*bad, good))

        wait_until(ended, "the three runs to end")
        subs = _state(root)["subs"]
        assert subs[good][1] == "scored"
        for sub in bad:
            assert subs[sub][1] == "failed" and [r[0] for r in subs[sub][2]] == ["failed"]
        with Podium.open(root) as podium:
            name, many = (podium.results.run(s.runs[0].id) for s in podium.submissions.find()[:2])
        assert "xnli/\\xff\\xfe.jsonl: a name that is not valid UTF-8" in (name.error or "")
        assert "NUL\\x00HERE" in name.log_tail
        assert "the output folder holds 1007 files; a worker sends at most 1000" in (
            many.error or ""
        )
    finally:
        worker.stop()
        server.stop()
