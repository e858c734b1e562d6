"""Evaluation on many machines: throughput of `podium worker` processes, and the cost of a
worker's report on the server, measured in one run on this machine.

1. Evaluations per hour with 1, 2 and 4 `podium worker` processes (a real redis-server on a
   free port as the Celery broker, a real `podium serve` with `[workers] broker = ...`, worker
   tokens from the service) vs the named peer, **the single-machine evaluator** (`podium serve`
   without a broker: it runs the queue itself, one submission at a time), on the same
   submissions: `--submissions` teams upload one each over the API; each sleeps `--sleep`
   seconds, then writes constant predictions, so on a small machine the figure is the
   platform's scaling, not CPU. Runs use the subprocess runner (`[sandbox] runner =
   "subprocess"`, no sandbox) on tiny synthetic data (4 tasks, English only, 40 examples per
   language). The time is from the first upload to the last run's `finished_at` in the store,
   after a warm-up round per configuration (Celery and worker start-up are printed apart);
   each configuration is timed `--repeats` times: median and min-max.
2. The server's time to accept and score a full-size XTREME prediction upload: a competition
   whose sealed eval split is shaped like XTREME's test sets (per language: XNLI 5,010 pairs x
   15 languages, PAWS-X 2,000 x 7, PAN-X 10,000 sentences x 40, UD-POS 1,000 x 33; synthetic
   text written in the XTREME folder format, `--scale` to shrink), constant predictions for
   every sealed id, and a lease claimed through the service; timed: the worker's
   `POST /api/worker/runs/{id}/result` (multipart: report, log, one file per task and
   language) until the answer (validation, scoring, storing) vs the named peer, the same
   predictions scored in-process by `podium.harness.evaluate.validate_and_score`.

    .venv/bin/python benchmarks/bench_workers.py [--submissions 8] [--sleep 1.0] [--repeats 3]
        [--workers 1,2,4] [--reports 3] [--scale 1.0] [--part all|throughput|report]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import redis

from podium.data.synthetic import generate_examples
from podium.data.xtreme import write_xtreme_file
from podium.harness.evaluate import validate_and_score
from podium.harness.fingerprint import machine_fingerprint
from podium.harness.runner import ProcessResult
from podium.service import Podium
from podium.submission.archive import pack_folder
from podium.tasks import default_registry

FIRST = {"xnli": "entailment", "pawsx": "1", "udpos": "NOUN", "panx": "O"}
# a submission that waits, then predicts the first label (or tag) for every sealed id
SLEEPY = """
import json, os, pathlib, time
time.sleep({sleep})
FIRST = {first}
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    (dst / f.parent.name).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / f.parent.name / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            first = FIRST[f.parent.name]
            out = {{"id": r["id"], "tags": [first] * len(r["tokens"])}} if "tokens" in r else {{"id": r["id"], "label": first}}
            fout.write(json.dumps(out) + "\\n")
"""
SMALL = """name = "bench workers"
[tasks.xnli]
languages = ["en"]
[tasks.pawsx]
languages = ["en"]
[tasks.udpos]
languages = ["en"]
[tasks.panx]
languages = ["en"]
[data]
source = "synthetic"
max_examples_per_language = 40
[[stages]]
name = "evaluation"
split = "eval"
attempts = 99
[efficiency]
reference_every = 0
[sandbox]
runner = "subprocess"
timeout_seconds = {timeout}
"""
# XTREME's test sets, examples per language (PAN-X and UD-POS vary by language in XTREME)
FULL_SIZE = {"xnli": 5010, "pawsx": 2000, "udpos": 1000, "panx": 10000}
EVAL_SHARE = 0.9  # the big competition seals 90% of its data for the eval stage
BIG = """name = "bench report"
[data]
source = "{source}"
public = 0.05
eval = {eval}
final = 0.05
[[stages]]
name = "evaluation"
split = "eval"
attempts = 99
[sandbox]
runner = "subprocess"
"""
Say = Callable[[str], None]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop(*procs: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Stop processes this script started, all at once (and reap them)."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + seconds
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A private redis-server on a free port, nothing persisted; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)

        def up() -> bool:
            if proc.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for(up, "redis-server to answer", 20)
        client.close()
        yield url
    finally:
        stop(proc)


@contextmanager
def podium_serve(root: Path, log: Path, *, evaluate: bool = True) -> Iterator[str]:
    """`podium serve` on a free port (queue checked every 0.2 s); its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("a") as out:
        command = [sys.executable, "-m", "podium", "serve", "-c", str(root), "--port", str(port),
                   "--poll", "0.2", *([] if evaluate else ["--no-evaluate"])]  # fmt: skip
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:

            def up() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"podium serve exited at start: see {log}")
                try:
                    return httpx.get(url + "/api/stages", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(up, "podium serve to answer")
            yield url
        finally:
            stop(proc)


class Worker:
    """A `podium worker` process (its token in PODIUM_TOKEN, its own cache)."""

    def __init__(self, server: str, token: str, cache: Path) -> None:
        self.log_path = cache.with_suffix(".log")
        self.started = time.monotonic()
        with self.log_path.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "podium", "worker", "--server", server,
                 "--hardware", "local", "--cache", str(cache)],
                stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "PODIUM_TOKEN": token, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip

    def consuming(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"podium worker exited at start: see {self.log_path}")
        return " consumes " in self.log_path.read_text(errors="replace")


def start_up_seconds(fleet: list[Worker]) -> list[float]:
    """Each worker's time from its start to its "consumes" line (seen within 0.05 s)."""
    seen: dict[int, float] = {}

    def all_consuming() -> bool:
        for i, worker in enumerate(fleet):
            if i not in seen and worker.consuming():
                seen[i] = time.monotonic() - worker.started
        return len(seen) == len(fleet)

    wait_for(all_consuming, "the workers to start consuming", 60)
    return list(seen.values())


def stop_fleet(fleet: list[Worker]) -> None:
    stop(*(worker.proc for worker in fleet))


def make_cup(root: Path, spec: str, teams: int) -> dict[str, str]:
    """A prepared competition with its stage open; a token per team."""
    root.mkdir(parents=True)
    (root / "competition.toml").write_text(spec)
    with Podium.open(root) as podium:
        podium.setup.prepare_data()
        podium.setup.open_stage("evaluation")
        tokens = {}
        for i in range(teams):
            name = f"team{i:02d}"
            podium.setup.add_team(name)
            tokens[name] = podium.tokens.create("team", team=name)
    return tokens


def upload(http: httpx.Client, url: str, token: str, archive: bytes) -> int:
    response = http.post(url + "/api/submissions", headers={"Authorization": f"Bearer {token}"},
                         files={"file": ("sub.zip", archive, "application/zip")})  # fmt: skip
    if response.status_code != 201:
        raise RuntimeError(f"upload refused: {response.status_code} {response.text[:300]}")
    return int(response.json()["submission_id"])


def _utc(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def timed_round(
    podium: Podium, url: str, tokens: dict[str, str], archive: bytes, count: int, limit: float
) -> tuple[float, dict[int | None, int]]:
    """Upload `count` submissions (one per team) and wait until all are scored: seconds from
    the first upload to the last run's end, and how many runs each worker did."""
    teams = list(tokens)[:count]
    with httpx.Client(timeout=30) as http:
        start = time.time()
        ids = {upload(http, url, tokens[team], archive) for team in teams}

    def done() -> bool:
        subs = [s for s in podium.submissions.find() if s.id in ids]
        return all(s.status in ("scored", "failed") for s in subs)

    wait_for(done, f"{count} submissions to be scored", limit)
    subs = [s for s in podium.submissions.find() if s.id in ids]
    failed = [f"{s.id}: {s.runs[-1].error}" for s in subs if s.status != "scored"]
    if failed:
        raise RuntimeError("runs failed: " + "; ".join(failed[:3]))
    last = max(_utc(s.runs[-1].finished_at) for s in subs)  # type: ignore[arg-type]
    per_worker: dict[int | None, int] = {}
    for s in subs:
        per_worker[s.runs[-1].worker_id] = per_worker.get(s.runs[-1].worker_id, 0) + 1
    return last - start, per_worker


def throughput(args: argparse.Namespace, tmp: Path, say: Say) -> None:
    tmp.mkdir(parents=True)
    submission = tmp / "sleepy"
    submission.mkdir()
    (submission / "podium.toml").write_text('[submission]\ncommand = "python predict.py"\n')
    (submission / "predict.py").write_text(SLEEPY.format(sleep=args.sleep, first=FIRST))
    archive = pack_folder(submission)
    n = args.submissions
    limit = 120 + 4 * n * (args.sleep + 2)
    spec = SMALL.format(timeout=args.sleep + 60)
    results: dict[str, list[float]] = {}
    evaluators: dict[str, int] = {}
    notes: dict[str, str] = {}
    with redis_server(tmp / "redis") as broker:
        for workers in [0, *args.workers]:
            name = "single-machine evaluator" if workers == 0 else f"{workers} worker(s)"
            root = tmp / f"cup-{workers}"
            lease = f'[workers]\nbroker = "{broker}"\n' if workers else ""
            tokens = make_cup(root, spec + lease, n)
            with ExitStack() as stack:
                podium = stack.enter_context(Podium.open(root))
                fleet_tokens: list[str] = []
                if workers:
                    fleet_tokens = [podium.tokens.create("worker", label=f"w{i + 1}")
                                    for i in range(workers)]  # fmt: skip
                url = stack.enter_context(podium_serve(root, tmp / f"serve-{workers}.log"))
                fleet: list[Worker] = []
                stack.callback(stop_fleet, fleet)  # the list as it is then, in parallel
                for i in range(workers):
                    fleet.append(Worker(url, fleet_tokens[i], tmp / f"cache-{workers}-{i}"))
                ready = start_up_seconds(fleet)
                if ready:
                    notes[name] = (f"worker start to its 'consumes' line: median {statistics.median(ready):.1f} s "
                                   f"(max {max(ready):.1f} s)")  # fmt: skip
                warm = time.monotonic()
                timed_round(podium, url, tokens, archive, max(1, workers), limit)
                notes[name] = (notes.get(name, "") + ("; " if name in notes else "")
                               + f"warm-up round {time.monotonic() - warm:.1f} s")  # fmt: skip
                seconds = []
                for r in range(args.repeats):
                    wall, per_worker = timed_round(podium, url, tokens, archive, n, limit)
                    seconds.append(wall)
                    spread = "/".join(str(c) for _, c in sorted(per_worker.items(), key=str))
                    say(f"  {name}, round {r + 1}: {n} scored in {wall:.2f} s "
                        f"({n / wall * 3600:.0f}/h; runs per evaluator {spread})")  # fmt: skip
                results[name], evaluators[name] = seconds, workers

    print(f"\nevaluations per hour: {n} submissions of {args.sleep:g} s sleep each, "
          f"{args.repeats} rounds per configuration (median, min-max), "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    peer = statistics.median(n / s * 3600 for s in results["single-machine evaluator"])
    for name, seconds in results.items():
        rates = [n / s * 3600 for s in seconds]
        middle = statistics.median(rates)
        print(f"  {name:<25} {middle:>7.0f}/h  ({min(rates):.0f}-{max(rates):.0f})  "
              f"{middle / peer:>5.2f}x the single-machine evaluator  "
              f"[median {statistics.median(seconds):.2f} s for {n}; all sleep, no overhead: "
              f"{n * args.sleep / max(1, evaluators[name]):.1f} s]")  # fmt: skip
        if name in notes:
            print(f"  {'':<25} {notes[name]}")


def big_source(folder: Path, scale: float) -> int:
    """XTREME-format files holding synthetic data, so that the eval split is full-size."""
    registry = default_registry()
    written = 0
    for task_id, size in FULL_SIZE.items():
        task = registry.get(task_id)
        per_language = max(10, round(size * scale / EVAL_SHARE))
        pools = generate_examples(
            [task], {task_id: task.languages}, seed=2020, per_language=per_language
        )
        for (_, lang), examples in pools.items():
            written += write_xtreme_file(folder / task_id / f"test-{lang}.tsv", task, examples)
    return written


def constant_predictions(inputs: Path, out: Path) -> int:
    """One constant prediction for every sealed id; the bytes written."""
    size = 0
    for f in sorted(inputs.glob("*/*.jsonl")):
        target = out / f.parent.name / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        first = FIRST[f.parent.name]
        with f.open() as fin, target.open("w") as fout:
            for line in fin:
                r = json.loads(line)
                row = ({"id": r["id"], "tags": [first] * len(r["tokens"])} if "tokens" in r
                       else {"id": r["id"], "label": first})  # fmt: skip
                fout.write(json.dumps(row) + "\n")
        size += target.stat().st_size
    return size


def post_result(
    http: httpx.Client, url: str, token: str, lease: Any, predictions: Path, log: Path
) -> tuple[float, dict[str, Any]]:
    """A worker's report of a produced run, as `podium worker` sends it: seconds to answer."""
    measured = ProcessResult(exit_code=0, timed_out=False, wall_seconds=1.0, cpu_user_seconds=1.0,
                             cpu_system_seconds=0.1, peak_rss_bytes=2**27, log_bytes=0,
                             bytes_written=0)  # fmt: skip
    report = {"status": "produced", "error": None, "log_tail": "", "harness_seconds": 0.1,
              "enforcement": {}, "measurements": [measured.__dict__]}  # fmt: skip
    with ExitStack() as stack:
        files: list[tuple[str, tuple[str, TextIO | Any, str]]] = [
            ("predictions", (p.relative_to(predictions).as_posix(),
                             stack.enter_context(p.open("rb")), "application/jsonl"))
            for p in sorted(predictions.rglob("*.jsonl"))
        ]  # fmt: skip
        files.append(("log", ("log.txt", stack.enter_context(log.open("rb")), "text/plain")))
        start = time.perf_counter()
        response = http.post(
            f"{url}/api/worker/runs/{lease.run_id}/result",
            headers={"Authorization": f"Bearer {token}", "X-Podium-Lease": lease.lease},
            data={"report": json.dumps(report)},
            files=files,
        )
        seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"report refused: {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    if body.get("status") != "scored":
        raise RuntimeError(f"the report was not scored: {body}")
    return seconds, body


def report_cost(args: argparse.Namespace, tmp: Path, say: Say) -> None:
    tmp.mkdir(parents=True)
    started = time.perf_counter()
    source = tmp / "xtreme-like"
    written = big_source(source, args.scale)
    root = tmp / "big"
    root.mkdir()
    (root / "competition.toml").write_text(BIG.format(source=source, eval=EVAL_SHARE))
    submission = tmp / "instant"
    submission.mkdir()
    (submission / "podium.toml").write_text('[submission]\ncommand = "true"\n')
    with ExitStack() as stack:
        podium = stack.enter_context(Podium.open(root))
        podium.setup.prepare_data()
        podium.setup.add_team("bench")
        podium.setup.open_stage("evaluation")
        token = podium.tokens.create("worker", label="bench")
        who = podium.tokens.authenticate(token)
        assert who is not None
        podium.workers.hello(who, "local", machine_fingerprint(podium.competition.spec_hash))
        layout = podium.competition.layout
        predictions = tmp / "predictions"
        size = constant_predictions(layout.inputs_dir("eval"), predictions)
        log = tmp / "log.txt"
        log.write_text("predicting\n" * 100)
        expected = podium.evaluation.expected_files("eval")
        examples = sum(len(f.lengths) for f in expected)
        say(f"  data: {written} examples generated, {examples} sealed for eval, "
            f"ready in {time.perf_counter() - started:.0f} s")  # fmt: skip

        url = stack.enter_context(podium_serve(root, tmp / "serve-big.log", evaluate=False))
        http = stack.enter_context(httpx.Client(timeout=600))
        served = []
        for i in range(args.reports + 1):  # the first also reads the sealed ids: apart
            submission_id = podium.submissions.submit(submission, team="bench").submission_id
            lease = podium.leases.claim(who, submission_id)
            assert lease is not None
            seconds, body = post_result(http, url, token, lease, predictions, log)
            say(f"  report {i}: {seconds:.2f} s, overall {body.get('overall')}")
            served.append(seconds)

        scored = []
        tasks = podium.competition.tasks()
        for _ in range(args.reports):
            start = time.perf_counter()
            rows = validate_and_score(predictions, expected, layout.labels_dir("eval"), tasks)
            scored.append(time.perf_counter() - start)
    steady = statistics.median(served[1:])
    peer = statistics.median(scored)
    print(f"\nfull-size report: {examples:,} sealed examples in {len(expected)} files, "
          f"{size / 1e6:.1f} MB of predictions ({len(rows)} score rows), "
          f"median of {args.reports}")  # fmt: skip
    print(f"  POST /api/worker/runs/{{id}}/result until answered: {steady:.2f} s "
          f"(min {min(served[1:]):.2f}, max {max(served[1:]):.2f}; the server's first report "
          f"{served[0]:.2f} s, it reads the sealed ids once)")  # fmt: skip
    print(f"  validate_and_score in-process:                   {peer:.2f} s "
          f"(min {min(scored):.2f}, max {max(scored):.2f})")  # fmt: skip
    print(f"  -> HTTP report / in-process scoring = {steady / peer:.2f}x "
          f"(+{steady - peer:.2f} s for upload, multipart, copies and storing)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=8, help="teams, one upload each")
    parser.add_argument("--sleep", type=float, default=1.0, help="seconds each submission sleeps")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds per configuration")
    parser.add_argument("--workers", type=lambda v: [int(x) for x in v.split(",")],
                        default=[1, 2, 4], help="worker counts, e.g. 1,2,4")  # fmt: skip
    parser.add_argument("--reports", type=int, default=3, help="timed full-size reports")
    parser.add_argument("--scale", type=float, default=1.0, help="of the full-size eval split")
    parser.add_argument("--part", choices=("all", "throughput", "report"), default="all")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on a plain kill too

    def say(message: str) -> None:
        print(message, flush=True)

    with tempfile.TemporaryDirectory(prefix="podium-bench-workers-") as tmp:
        if args.part in ("all", "throughput"):
            throughput(args, Path(tmp) / "throughput", say)
        if args.part in ("all", "report"):
            report_cost(args, Path(tmp) / "report", say)


if __name__ == "__main__":
    main()
