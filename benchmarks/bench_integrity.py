"""Canaries and contrast canaries against lookup tables, and what they cost an honest team.

Run from the project root: ``python benchmarks/bench_integrity.py [--seeds 20] [--sample DIR]``
(``--quick``: 2 seeds, a short baseline, no cost; ``--only "baseline kit"`` runs one
submission's seeds, e.g. to share a long run out). For each seed (the data seed: another
split, other canaries) it prepares a competition from the shared XTREME sample at the default
`[integrity]` (canary_share 0.1, contrast_share 0.05), trains every shipped honest example
(majority, lexicon, perceptron and the baseline kit, each seed) on its public data, builds
three cheaters from the public source files (a full table of the published test sets' answers
with exact text keys, half of one, and the full table answering an unknown input with its
nearest entry's answer), and evaluates them all in the real sandbox through the service. It
prints, per submission, how many seeds flagged it, the spread of its p-values and gaps, and the
lean of its contrast canaries (the share of discordant ones answered with the original's answer).

Then the cost: the perceptron (the slowest example without torch) timed on the same sealed
originals with canaries and without (both shares 0), repeats interleaved; the extra
time against the share of extra items (canaries / originals). Medians and spread; the peer is
the same submission on the same data without canaries, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from podium.service import Podium
from podium.store.models import Run

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.cheats import lookup_submission  # noqa: E402  (the tests' cheaters)

HONEST = ("majority", "lexicon", "perceptron")
LABELS = (*HONEST, "baseline kit", "full table", "half table", "nearest table")
SPEC = """
name = "integrity bench"
[tasks.xnli]
[tasks.pawsx]
[tasks.udpos]
[tasks.panx]
[data]
source = "{source}"
seed = {seed}
max_examples_per_language = {cap}
[integrity]
canary_share = {share}
contrast_share = {contrast}
[efficiency]
repeats = {repeats}
[[stages]]
name = "evaluation"
split = "eval"
attempts = 20
"""


def competition(
    root: Path, sample: Path, seed: int, cap: int, share: float, repeats: int
) -> Podium:
    """`share` of canaries, and half as many contrast canaries (the defaults' ratio)."""
    root.mkdir(parents=True)
    spec = SPEC.format(
        source=sample, seed=seed, cap=cap, share=share, contrast=share / 2, repeats=repeats
    )
    (root / "competition.toml").write_text(spec)
    podium = Podium.open(root)
    podium.setup.prepare_data()
    podium.setup.add_team("Teams")
    podium.setup.open_stage("evaluation")
    return podium


def honest(name: str, public: Path, out: Path) -> Path:
    """An example trained on this seed's public data (its train.py), as a team would."""
    subprocess.run(["cp", "-r", str(REPO / "examples" / name), str(out)], check=True)
    subprocess.run(
        [sys.executable, "train.py", "--data", str(public), "--out", str(out)],
        cwd=out,
        check=True,
        capture_output=True,
    )
    return out


def baseline(root: Path, out: Path, minutes: float) -> Path:
    """The baseline kit: trained briefly on this seed's public data, packaged."""
    podium = [str(Path(sys.executable).parent / "podium"), "baseline"]
    run = out.parent / "baseline-run"
    subprocess.run([*podium, "train", "--competition", str(root), "--encoder", "tiny",
                    "--max-minutes", str(minutes), "--out", str(run), "--quiet"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*podium, "package", str(run / "checkpoints" / "best.ckpt"), str(out),
                    "--competition", str(root)], check=True, capture_output=True)  # fmt: skip
    return out


def verdicts(podium: Podium) -> dict[str, dict[str, Any]]:
    with podium.competition.sessions() as s:
        return {
            r.submission.label: dict(r.integrity or {"verdict": r.status})
            for r in s.scalars(select(Run).order_by(Run.id))
        }


def one_seed(work: Path, sample: Path, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    root = work / f"seed{seed}"
    podium = competition(root, sample, seed, args.cap, 0.1, 1)
    langs = [(t, lang) for t, by_lang in podium.setup.manifest().counts.items() for lang in by_lang]
    wanted = set(args.only or LABELS)
    subs = {name: honest(name, root / "public", work / f"{name}{seed}")
            for name in HONEST if name in wanted}  # fmt: skip
    if "baseline kit" in wanted and seed - args.first_seed < args.baseline_seeds:
        subs["baseline kit"] = baseline(root, work / f"baseline{seed}", args.baseline_minutes)
    if "full table" in wanted:
        subs["full table"] = lookup_submission(work / f"full{seed}", sample, langs, key="exact")
    if "half table" in wanted:
        subs["half table"] = lookup_submission(work / f"half{seed}", sample, langs, keep=0.5)
    if "nearest table" in wanted:
        subs["nearest table"] = lookup_submission(work / f"near{seed}", sample, langs, nearest=True)
    for label, folder in subs.items():
        podium.submissions.submit(folder, team="Teams", label=label)
    podium.evaluation.evaluate_pending()
    found = verdicts(podium)
    podium.close()
    return found


def cost(
    work: Path, sample: Path, args: argparse.Namespace
) -> tuple[list[float], list[float], float]:
    """Perceptron walls with canaries and without, and canaries / originals (eval split)."""
    walls: dict[float, list[float]] = {0.1: [], 0.0: []}
    pods = {s: competition(work / f"cost{s}", sample, 0, args.cap, s, 1) for s in walls}
    sub = honest("perceptron", work / "cost0.1" / "public", work / "cost-perceptron")
    for _ in range(args.repeats):
        for share, podium in pods.items():
            podium.submissions.submit(sub, team="Teams", label=f"share {share}")
            outcome = podium.evaluation.evaluate_pending()[-1]
            walls[share].append(float(outcome.duration or 0.0))
    manifest = pods[0.1].setup.manifest()
    assert manifest.canaries is not None
    canaries = sum(
        c.get("eval", 0)
        for counts in (manifest.canaries.counts, manifest.canaries.contrast_counts)
        for t in counts.values()
        for c in t.values()
    )
    originals = sum(c.get("eval", 0) for t in manifest.counts.values() for c in t.values())
    for podium in pods.values():
        podium.close()
    return walls[0.1], walls[0.0], canaries / originals


def _lean(v: dict[str, Any]) -> float:
    """The share of a run's discordant contrast canaries answered with the original's answer
    (0.5 without any)."""
    c = v.get("contrast") or {}
    copied, followed = int(c.get("copied", 0)), int(c.get("followed", 0))
    return copied / (copied + followed) if copied + followed else 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0, help="to share seeds among runs")
    parser.add_argument("--sample", type=Path, default=REPO.parent / "shared" / "xtreme-sample")
    parser.add_argument("--cap", type=int, default=600, help="examples per task and language")
    parser.add_argument("--baseline-seeds", type=int, default=None, help="default: every seed")
    parser.add_argument("--baseline-minutes", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of the cost peer")
    parser.add_argument("--only", action="append", choices=LABELS, help="these submissions")
    parser.add_argument("--no-cost", action="store_true", help="skip the timing of the cost")
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds, the baseline trained 0.5 min, no cost: a smoke run")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write every verdict here")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.baseline_minutes, args.no_cost = 2, 0.5, True
    if args.baseline_seeds is None:
        args.baseline_seeds = args.seeds
    rows: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-integrity-") as tmp:
        work = Path(tmp)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            verdict_of = one_seed(work, args.sample, seed, args)
            for label, v in verdict_of.items():
                rows.setdefault(label, []).append(v)
            print(f"seed {seed}: " + ", ".join(
                f"{k} {v.get('verdict')} (p {float(v.get('p_value', 1)):.2g}, gap "
                f"{float(v.get('gap', 0)):+.3f})" for k, v in verdict_of.items()), flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(json.dumps({"verdicts": rows}, indent=1))
        costs = None if args.no_cost else cost(work, args.sample, args)
    print(f"\n{'submission':<14} {'seeds':>5} {'suspect':>7} {'canaries':>8} "
          f"{'gap median':>10} {'gap max':>8} {'p median':>9} {'p max':>9} "
          f"{'contrast':>8} {'lean med':>8} {'lean max':>8}")  # fmt: skip
    for label, found in rows.items():
        gaps = [float(v.get("gap", 0)) for v in found]
        ps = [float(v.get("p_value", 1)) for v in found]
        flagged = sum(v.get("verdict") == "suspect" for v in found)
        n = statistics.median(int(v.get("canaries", 0)) for v in found)
        leans = [_lean(v) for v in found]
        nc = statistics.median(int((v.get("contrast") or {}).get("canaries", 0)) for v in found)
        print(f"{label:<14} {len(found):>5} {flagged:>7} {n:>8.0f} {statistics.median(gaps):>10.3f} "
              f"{max(gaps):>8.3f} {statistics.median(ps):>9.2g} {max(ps):>9.2g} "
              f"{nc:>8.0f} {statistics.median(leans):>8.2f} {max(leans):>8.2f}")  # fmt: skip
    if costs is None:
        if args.json:
            args.json.write_text(json.dumps({"verdicts": rows}, indent=1))
        return
    with_c, without, extra = costs
    a, b = statistics.median(with_c), statistics.median(without)
    print(f"\ncost (perceptron, {args.repeats} interleaved runs each): with canaries "
          f"{a:.3f} s [{min(with_c):.3f}-{max(with_c):.3f}], without {b:.3f} s "
          f"[{min(without):.3f}-{max(without):.3f}]; extra time {a / b - 1:+.1%} "
          f"vs extra items {extra:.1%}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"verdicts": rows, "with": with_c, "without": without,
                                         "extra_items": extra}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
