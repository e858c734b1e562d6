"""Latency of the leaderboard page and API with 50 teams x 20 scored submissions in the store.

A live `podium serve` (no evaluator) answers concurrent requests from a load client in its own
process (`http_load.py`: kept-alive connections, a small CPU cost per request, so that it
times the server and not itself); reports median and p99 latency and throughput per endpoint.
Named peer, measured in the same run: Python's `http.server` serving the same leaderboard page
as a static file (`static_peer.py`: HTTP/1.1 kept alive and uvicorn's listen backlog, as our
server has), printed as a ratio.

Two kinds of rounds, each alternating the page and the peer:
- saturating: 16 clients ask back to back. On 2 cores the server and the client then share
  the CPU flat out, so a latency there is the queue of 16 over the throughput (Little's law),
  and a server that answers some clients at once and starves others (the peer's threads under
  the GIL) shows a low median with a long tail. These rounds give the throughput ratio.
- paced: the same 16 clients send, in all, a share (--paced-share, 0.5) of the slower side's
  saturating throughput, both sides the same rate: the latency a user sees at a load both
  serve. The goals are read on these rounds (the median within 2x of the static file, p99
  under 100 ms); the saturating medians are printed beside them.

Prints each round, then the medians over the rounds with their spread, the load average before
and after each round, and the CPU each side and the client spent per request (a shared machine
blurs latency, p99 most; CPU it cannot blur).

    .venv/bin/python benchmarks/bench_web.py [--teams 50] [--subs 20] [--requests 2000]
        [--concurrency 16] [--rounds 5] [--paced-share 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
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


HERE = Path(__file__).resolve().parent


def load(
    url: str, requests: int, concurrency: int, rate: float | None = None
) -> tuple[list[float], float, float]:
    """Latencies, wall seconds and the client's CPU seconds, from `http_load.py`."""
    paced = [] if rate is None else [f"{rate:.1f}"]
    out = subprocess.run(
        [sys.executable, str(HERE / "http_load.py"), url, str(requests), str(concurrency), *paced],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    measured = json.loads(out)
    return measured["latencies"], measured["elapsed"], measured["cpu"]


def wait(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no server at {url}")


def report(name: str, lat: list[float], elapsed: float, cpu: float) -> tuple[float, float, float]:
    """Prints and returns the median, the p99 and the throughput (requests per second)."""
    lat.sort()
    median = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    print(f"{name:<36} median {median * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
          f"{len(lat) / elapsed:6.0f} req/s  client CPU {cpu / len(lat) * 1000:.2f} ms/req  "
          f"load {_load()}")  # fmt: skip
    return median, p99, len(lat) / elapsed


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


Result = tuple[float, float, float]  # median, p99 (seconds), throughput (requests a second)


def _spread(values: list[float], unit: str = "x", digits: int = 2) -> str:
    return (f"median {statistics.median(values):.{digits}f}{unit} "
            f"(spread {min(values):.{digits}f}-{max(values):.{digits}f})")  # fmt: skip


def summary(saturated: tuple[list[Result], list[Result]], paced: tuple[list[Result], list[Result]],
            rate: float) -> None:  # fmt: skip
    """The goals on the paced rounds, and what the saturating rounds measured, over the rounds."""
    (pages, peers), (paced_pages, paced_peers) = saturated, paced
    rates = [page[2] / peer[2] for page, peer in zip(pages, peers, strict=True)]
    print(f"saturating: throughput page/static {_spread(rates)}; median latency page/static "
          f"{_spread([a[0] / b[0] for a, b in zip(pages, peers, strict=True)])} (a queue of "
          f"16 over the throughput, not a goal); p99 page "
          f"{_spread([p[1] * 1000 for p in pages], ' ms', 1)}, static "
          f"{_spread([p[1] * 1000 for p in peers], ' ms', 1)}")  # fmt: skip
    ratios = [a[0] / b[0] for a, b in zip(paced_pages, paced_peers, strict=True)]
    p99s = [page[1] * 1000 for page in paced_pages]
    ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    print(f"paced at {rate:.0f} req/s, ratio page/static (median latency), per round: "
          f"{', '.join(f'{r:.2f}x' for r in ratios)}")  # fmt: skip
    print(f"paced: ratio page/static {_spread(ratios)} "
          f"(goal: at most 2x) {'met' if ratio <= 2 else 'MISSED'}")  # fmt: skip
    print(f"paced: /leaderboard p99 {_spread(p99s, ' ms', 1)} "
          f"(goal: under 100 ms) {'met' if p99 < 100 else 'MISSED'}; "
          f"peer p99 median {statistics.median(p[1] for p in paced_peers) * 1000:.1f} ms")  # fmt: skip
    print(f"load average after: {_load()} (2 cores)")


def rounds(
    urls: tuple[str, str], pids: tuple[int, int], args: argparse.Namespace, rate: float | None
) -> tuple[list[Result], list[Result], dict[str, list[float]]]:
    """Rounds alternating the page and the peer (the machine's load hits both alike), with
    each side's CPU seconds per request."""
    results: tuple[list[Result], list[Result]] = ([], [])
    cpu: dict[str, list[float]] = {"page": [], "static": []}
    asked = args.requests + args.concurrency  # each connection's untimed first
    kind = "saturating" if rate is None else f"paced {rate:.0f}/s"
    names = (f"GET /leaderboard ({kind})", f"peer: static page ({kind})")
    for _ in range(args.rounds):
        for side, (url, pid, name, key) in enumerate(zip(urls, pids, names, cpu, strict=True)):
            before = cpu_seconds(pid)
            results[side].append(report(name, *load(url, args.requests, args.concurrency, rate)))
            cpu[key].append((cpu_seconds(pid) - before) / asked)
    return results[0], results[1], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--subs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paced-share", type=float, default=0.5)
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
                [sys.executable, str(HERE / "static_peer.py"), str(static_port),
                 str(Path(tmp) / "static")], stdout=subprocess.DEVNULL)  # fmt: skip
            try:
                wait(f"http://127.0.0.1:{static_port}/leaderboard.html")
                print(f"{args.requests} requests per endpoint, {args.concurrency} concurrent "
                      f"clients, {args.rounds} rounds; load average {_load()}")  # fmt: skip
                for name, path in (("GET /api/leaderboard (JSON)", "/api/leaderboard"),
                                   ("GET /api/leaderboard.csv", "/api/leaderboard.csv")):  # fmt: skip
                    report(name, *load(base + path, args.requests, args.concurrency))
                urls = (base + "/leaderboard", f"http://127.0.0.1:{static_port}/leaderboard.html")
                pids = (server.pid, peer.pid)
                pages, peers, cpu = rounds(urls, pids, args, None)
                rate = args.paced_share * min(
                    statistics.median(p[2] for p in pages), statistics.median(p[2] for p in peers)
                )
                paced_pages, paced_peers, _ = rounds(urls, pids, args, rate)
                summary((pages, peers), (paced_pages, paced_peers), rate)
                page_cpu, peer_cpu = (statistics.median(cpu[k]) * 1000 for k in ("page", "static"))
                print(f"server CPU per request (the load cannot blur it): page {page_cpu:.2f} ms, "
                      f"static {peer_cpu:.2f} ms, ratio {page_cpu / peer_cpu:.2f}x")  # fmt: skip
            finally:
                peer.terminate()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
