"""Latency of the leaderboard page and API with 50 teams x 20 scored submissions in the store.

A live `podium serve` (no evaluator) answers concurrent requests from a bounded asyncio client
on localhost; reports median and p99 latency and throughput per endpoint. Named peer, measured
in the same run: Python's `http.server` serving the same leaderboard page as a static file (the
floor a dynamic page cannot beat), printed as a ratio.

    .venv/bin/python benchmarks/bench_web.py [--teams 50] [--subs 20] [--requests 300] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from podium.service import Podium
from podium.store.models import Measurement, Run, Score, Stage, Submission, Team
from podium.tasks import default_registry

SPEC = """
name = "bench cup"
[data]
source = "synthetic"
max_examples_per_language = 20
[[stages]]
name = "evaluation"
split = "eval"
attempts = {subs}
[[stages]]
name = "final"
split = "final"
attempts = 1
leaderboard = "hidden"
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fill(root: Path, teams: int, subs: int) -> int:
    """Teams, submissions, runs, per-language scores and measurements, as evaluation writes them."""
    podium = Podium.open(root)
    rng = random.Random(0)
    tasks = list(default_registry())
    metrics = podium.competition.metrics()
    rows = 0
    with podium.competition.sessions.begin() as s:
        stage = s.query(Stage).filter_by(name="evaluation").one()
        stage.status = "open"
        for t in range(teams):
            team = Team(competition_id=stage.competition_id, name=f"Team {t:02d}")
            s.add(team)
            s.flush()
            skill = rng.uniform(30, 70)
            for a in range(1, subs + 1):
                sub = Submission(team_id=team.id, stage_id=stage.id, attempt=a,
                                 sha256=f"{t:032d}{a:032d}", archive_path="x", status="scored")  # fmt: skip
                s.add(sub)
                s.flush()
                run = Run(submission_id=sub.id, status="scored", hardware="bench")
                s.add(run)
                s.flush()
                wall = rng.uniform(5, 60)
                for r in range(3):
                    s.add(Measurement(run_id=run.id, repeat=r, wall_seconds=wall * rng.uniform(0.97, 1.03),
                                      cpu_user_seconds=wall, cpu_system_seconds=0.1, peak_rss_bytes=2**30))  # fmt: skip
                for task in tasks:
                    for lang in task.languages:
                        s.add(Score(run_id=run.id, task=task.id, language=lang, metric=metrics[task.id],
                                    value=min(100.0, skill + a + rng.uniform(-5, 5)), count=100))  # fmt: skip
                        rows += 1
    podium.close()
    return rows


async def load(url: str, requests: int, concurrency: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    todo = iter(range(requests))

    async def client(http: httpx.AsyncClient) -> None:
        for _ in todo:
            start = time.perf_counter()
            response = await http.get(url)
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text[:200]

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as http:
        await http.get(url)  # warm-up
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, elapsed


def wait(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no server at {url}")


def report(name: str, lat: list[float], elapsed: float) -> tuple[float, float, float]:
    """Prints and returns the median, the p99 and the throughput (requests per second)."""
    lat.sort()
    median = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    print(f"{name:<34} median {median * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms   "
          f"{len(lat) / elapsed:7.1f} req/s")  # fmt: skip
    return median, p99, len(lat) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--subs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podium-bench-web-") as tmp:
        root = Path(tmp) / "cup"
        root.mkdir()
        (root / "competition.toml").write_text(SPEC.format(subs=args.subs))
        began = time.perf_counter()
        scores = fill(root, args.teams, args.subs)
        print(f"store: {args.teams} teams x {args.subs} scored submissions, {scores:,} score rows "
              f"({time.perf_counter() - began:.1f} s to write)")  # fmt: skip
        port, static_port = _port(), _port()
        server = subprocess.Popen(
            [sys.executable, "-m", "podium", "serve", "-c", str(root), "--port", str(port),
             "--no-evaluate"], stdout=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait(base + "/api/stages")
            page = httpx.get(base + "/leaderboard", timeout=120).text
            (Path(tmp) / "static").mkdir()
            (Path(tmp) / "static" / "leaderboard.html").write_text(page)
            peer = subprocess.Popen(
                [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1",
                 "--directory", str(Path(tmp) / "static")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            try:
                wait(f"http://127.0.0.1:{static_port}/leaderboard.html")
                print(
                    f"{args.requests} requests per endpoint, {args.concurrency} concurrent clients"
                )
                medians = {}
                for name, path in (("GET /leaderboard (HTML, charts)", "/leaderboard"),
                                   ("GET /api/leaderboard (JSON)", "/api/leaderboard"),
                                   ("GET /api/leaderboard.csv", "/api/leaderboard.csv")):  # fmt: skip
                    lat, elapsed = asyncio.run(load(base + path, args.requests, args.concurrency))
                    medians[path] = report(name, lat, elapsed)
                lat, elapsed = asyncio.run(load(
                    f"http://127.0.0.1:{static_port}/leaderboard.html", args.requests,
                    args.concurrency))  # fmt: skip
                peer_median, peer_p99, peer_rate = report(
                    "peer: http.server, same page static", lat, elapsed
                )
                median, p99, rate = medians["/leaderboard"]
                print(f"page/static: throughput {rate / peer_rate:.2f}x, "
                      f"p99 {p99 / peer_p99:.2f}x")  # fmt: skip
                ratio = median / peer_median
                print(f"ratio page/static (median): {ratio:.1f}x (goal: at most 2x) "
                      f"{'met' if ratio <= 2 else 'MISSED'}")  # fmt: skip
                print(f"/leaderboard p99: {p99 * 1000:.1f} ms (goal: under 100 ms) "
                      f"{'met' if p99 < 0.1 else 'MISSED'}")  # fmt: skip
            finally:
                peer.terminate()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
