"""Issue 29 item 5 end to end: training jobs travel on the Celery queue and the leases that
evaluation uses. A real redis-server, `podium serve` and `podium worker` processes, the
bubblewrap sandbox and cgroups on the workers. A job that burns a known CPU time is sent with
`podium job run --hardware local`; its log streams to the server; the worker running it is
killed with SIGKILL mid-job; another worker runs it again from the start; it is billed once
(for the attempt that ended), and its output is fetched with `podium job fetch`."""

from __future__ import annotations

import json
import signal
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from podium.cli.main import app
from podium.harness.cgroups import host_hierarchy

from ..conftest import CONSTANT_PREDICT, write_submission
from ..harness.conftest import hostile_cup, needs_bwrap
from ..patience import HANG, wait_until
from ..web.test_serve_hostile import Server
from .test_workers_e2e import Worker

pytestmark = [
    needs_bwrap,
    pytest.mark.skipif(
        host_hierarchy()[0] is None, reason=f"no writable cgroup hierarchy: {host_hierarchy()[1]}"
    ),
]
BURN_SECONDS = 3.0
LOST_AT_LEAST = 1.5  # CPU seconds the first attempt burns before its machine is killed
BURN = f"""
import os, pathlib, sys, time
sys.stdout.buffer.write(b"a NUL \\x00 and a bad byte \\xff stream too\\n")
print("started", flush=True)
while time.process_time() < {LOST_AT_LEAST}:
    pass
print("halfway", flush=True)
while time.process_time() < float(os.environ["BURN"]):
    pass
out = pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
(out / "cpu.txt").write_text(repr(time.process_time()))
print("burnt", flush=True)
"""

LOOK = """
import json, os, pathlib, sys
seen = [path for path in sys.argv[1:] if os.path.exists(path)]
(pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"]) / "seen.json").write_text(json.dumps(seen))
"""


def text(log: Path) -> str:
    """A job's log as the server holds it (the job printed bytes that are not UTF-8)."""
    return log.read_text(errors="replace") if log.is_file() else ""


def podium_cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    try:
        return json.loads(result.output)
    except ValueError:
        return result.output


def test_a_job_whose_worker_dies_runs_again_and_is_billed_once(tmp_path: Path, broker: str) -> None:
    extra = (
        f'[workers]\nbroker = "{broker}"\nlease_seconds = 3.0\nheartbeat_seconds = 0.5\n'
        "[budget]\ncpu_hours = 0.01\n"
    )
    cup = hostile_cup(tmp_path / "cup", extra=extra, timeout=30.0)
    cup.setup.add_team("Ada")
    token = cup.tokens.create("team", team="Ada")
    machines = [cup.tokens.create("worker", label=f"w{i}") for i in (1, 2)]
    root = cup.competition.root
    cup.close()
    folder = tmp_path / "trainer"
    folder.mkdir()
    (folder / "podium.toml").write_text(f'[job]\ncommand = "BURN={BURN_SECONDS} python train.py"\n')
    (folder / "train.py").write_text(textwrap.dedent(BURN))
    server = Server(root, tmp_path / "serve.log")
    auth = ["--server", server.url, "--token", token]
    first = Worker(server, machines[0], tmp_path / "cache1")
    fleet = [first]
    try:
        sent = podium_cli("job", "run", str(folder), *auth, "--hardware", "local", "--json")
        job_id = int(sent["job"])
        log = root / "artifacts" / "jobs" / str(job_id) / "log.txt"

        def job(which: int) -> dict[str, Any]:  # polled: the API, cheaper than the CLI
            answer = httpx.get(f"{server.url}/api/jobs/{which}", timeout=HANG,
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            return dict(answer.json())

        # the log streams to the server while the job runs on the worker
        wait_until(lambda: "halfway" in text(log), "the job's log",
                   proc=first.proc, log=first.log_path)  # fmt: skip
        assert job(job_id)["status"] == "running"
        assert [j["id"] for j in podium_cli("job", "list", *auth, "--json")] == [job_id]
        first.stop(signal.SIGKILL)  # the machine dies mid-job
        second = Worker(server, machines[1], tmp_path / "cache2")
        fleet.append(second)
        ended = wait_until(lambda: job(job_id)["status"] not in ("queued", "running")
                           and job(job_id),
                           "the job to run again and end", proc=second.proc,
                           log=second.log_path)  # fmt: skip
        assert ended["status"] == "done", ended
        shown = podium_cli("job", "logs", str(job_id), *auth, "--follow")
        assert shown.count("started") == 2 and shown.count("burnt") == 1, shown
        assert "worker was lost" in shown
        target = tmp_path / "out.tar.gz"
        podium_cli("job", "fetch", str(job_id), *auth, "--to", str(target))
        with tarfile.open(target) as tar:
            member = tar.extractfile("./cpu.txt")
            assert member is not None
            burnt = float(member.read())
        billed = float(ended["cpu_seconds"])
        # billed for the attempt that ended: its cgroup counted the process's own CPU time
        # and the sandbox's (bwrap, the shell: a few hundredths of a second on a quiet
        # machine, 0.1-0.4 s at a load of 14-25 on 2 cores); not the lost attempt's 1.5 s
        assert burnt - 0.01 <= billed < burnt + LOST_AT_LEAST * 0.9, (billed, burnt)
        (budget,) = podium_cli("budget", *auth, "--json")
        assert budget["cpu_hours"]["used"] * 3600 == pytest.approx(billed)  # once
        print(f"\nburnt {burnt:.3f} CPU s, billed {billed:.3f} CPU s (one of two attempts)")
        # a late report of the dead attempt changes nothing: its lease is gone
        late = httpx.post(f"{server.url}/api/worker/jobs/{job_id}/result", timeout=HANG,
                          headers={"Authorization": f"Bearer {machines[0]}",
                                   "X-Podium-Lease": "0" * 32},
                          data={"report": json.dumps({"status": "done", "cpu_seconds": 0.0,
                                                      "wall_seconds": 1.0})})  # fmt: skip
        assert late.status_code == 409, late.text
        assert float(job(job_id)["cpu_seconds"]) == billed
        # on the one machine left, an evaluation is not queued behind a running job (the
        # job is held while it runs), and a cancel reaches the job with the next heartbeat
        # (it first looks for the workers' caches, where sealed inputs are kept, and the
        # server's sealed folder: none is there inside its sandbox)
        hidden = [str(first.cache), str(second.cache), str(root / "sealed")]
        (folder / "look.py").write_text(LOOK)
        command = f"python look.py {' '.join(hidden)} && BURN=1e9 python train.py"
        (folder / "podium.toml").write_text(f"[job]\ncommand = {json.dumps(command)}\n")
        endless = int(podium_cli("job", "run", str(folder), *auth, "--json")["job"])
        log = root / "artifacts" / "jobs" / str(endless) / "log.txt"
        wait_until(
            lambda: "started" in text(log),
            "the endless job",
        )
        sub = server.upload(token, write_submission(tmp_path / "quick", CONSTANT_PREDICT))
        wait_until(lambda: server.submission(token, sub)["status"] not in ("queued", "running"),
                   "the evaluation beside the job",
                   proc=second.proc, log=second.log_path)  # fmt: skip
        assert server.submission(token, sub)["status"] == "scored"
        assert job(endless)["status"] == "running"  # the job waited, not the evaluation
        # the machine is stopped (SIGTERM): it says so at once, the job queues again unbilled
        second.stop()
        assert second.proc.returncode == 0
        stopped = job(endless)
        assert stopped["status"] == "queued" and stopped["cpu_seconds"] is None, stopped
        assert "stopped during this job" in stopped["message"]
        # the dead machine comes back: it cleans up what the killed job left (its tmpfs),
        # takes the job again, and a cancel reaches it with the next heartbeat
        left = first.cache / "work"
        assert [p for p in left.iterdir() if f"-job{job_id}-" in p.name]
        back = Worker(server, machines[0], first.cache)
        fleet.append(back)
        wait_until(lambda: text(log).count("started") == 2, "the job on the machine back",
                   proc=back.proc, log=back.log_path)  # fmt: skip
        assert not [p for p in left.iterdir() if f"-job{job_id}-" in p.name]  # cleaned up
        podium_cli("job", "cancel", str(endless), *auth)
        wait_until(lambda: job(endless)["status"] == "cancelled", "the cancel to reach the worker")
        assert 0 < float(job(endless)["cpu_seconds"]) < 36.0
        podium_cli("job", "fetch", str(endless), *auth, "--to", str(tmp_path / "seen.tar.gz"))
        with tarfile.open(tmp_path / "seen.tar.gz") as tar:  # kept when cancelled too
            seen = tar.extractfile("./seen.json")
            assert seen is not None and json.loads(seen.read()) == []
        assert "worker was lost" in text(log)
        # a team token reaches no worker route
        for path in ("/api/worker/jobs/claim", f"/api/worker/jobs/{job_id}/heartbeat"):
            refused = httpx.post(server.url + path, timeout=HANG,
                                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert refused.status_code in (401, 403), refused.text
    finally:
        for worker in fleet:
            worker.stop()
        server.stop()
