"""Lookup tables of the public test sets are caught by canaries; honest runs are not.

Real sandboxed evaluation on small slices of the shared XTREME sample: each cheater is built
from the public source files as a team would (exact keys, normalised keys, half a table), and
the honest submission queued after them is scored and clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from podium.cli.main import app
from podium.service import Podium
from podium.store.models import Run

from ..cheats import lookup_submission
from ..conftest import RUN_LIMIT, SAMPLE, write_submission
from .conftest import constant

SLICE = [("xnli", "de"), ("pawsx", "de"), ("udpos", "en"), ("panx", "en")]
SPEC = """
name = "integrity cup"
[tasks.xnli]
languages = ["de"]
[tasks.pawsx]
languages = ["de"]
[tasks.udpos]
languages = ["en"]
[tasks.panx]
languages = ["en"]
[data]
source = "{source}"
max_examples_per_language = 300
[integrity]
canary_share = 0.5
contrast_share = 0.5
[[stages]]
name = "evaluation"
split = "eval"
attempts = 10
[sandbox]
timeout_seconds = {timeout}
"""


@pytest.fixture
def cup(tmp_path: Path) -> Path:
    if not SAMPLE.is_dir():
        pytest.skip(f"the shared XTREME sample is not at {SAMPLE}")
    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SPEC.format(source=SAMPLE, timeout=RUN_LIMIT))
    podium = Podium.open(root)
    podium.setup.prepare_data()
    podium.setup.add_team("Cheat")
    podium.setup.add_team("Honest")
    podium.setup.open_stage("evaluation")
    podium.close()
    return root


def test_lookup_tables_are_suspect_and_honest_runs_clean(cup: Path, tmp_path: Path) -> None:
    cheats = {
        "exact keys": lookup_submission(tmp_path / "exact", SAMPLE, SLICE, key="exact"),
        "normalised keys": lookup_submission(tmp_path / "normal", SAMPLE, SLICE, key="normal"),
        "half a table": lookup_submission(tmp_path / "half", SAMPLE, SLICE, keep=0.5),
        "nearest entry": lookup_submission(tmp_path / "near", SAMPLE, SLICE, nearest=True),
    }
    p = Podium.open(cup)
    for name, folder in cheats.items():
        p.submissions.submit(folder, team="Cheat", label=name)
    p.submissions.submit(constant(tmp_path), team="Honest")
    outcomes = p.evaluation.evaluate_pending()
    assert [o.status for o in outcomes] == ["scored"] * 5, [o.error for o in outcomes]
    with p.competition.sessions() as s:
        runs = {r.submission.label: r for r in s.scalars(select(Run).order_by(Run.id))}
        verdicts = {label: dict(r.integrity or {}) for label, r in runs.items()}
        full_scores = [
            sc.value for sc in runs["exact keys"].scores if sc.metric != "token_accuracy"
        ]
    p.close()
    for name in cheats:
        assert verdicts[name]["verdict"] == "suspect", (name, json.dumps(verdicts[name]))
        assert verdicts[name]["p_value"] < 0.001
    # tables answer canaries badly; a nearest-neighbour lookup answers them with their
    # originals' answers, and only its copies onto contrast canaries give it away
    assert all(verdicts[name]["gap"] > 0.2 for name in cheats if name != "nearest entry")
    nearest = verdicts["nearest entry"]
    assert nearest["gap"] < 0.1 and nearest["canary_p_value"] > 0.001, nearest
    assert nearest["contrast"]["copied"] > 5 * nearest["contrast"]["followed"], nearest
    honest = verdicts["const"]
    assert honest["verdict"] == "clean" and honest["gap"] == pytest.approx(0, abs=0.05)
    assert set(honest) == {"verdict", "canaries", "gap", "p_value", "canary_p_value", "contrast"}
    assert honest["contrast"]["p_value"] > 0.05, honest
    assert honest["canaries"] == verdicts["exact keys"]["canaries"] > 50
    # canaries never count: the exact table answers every original, so it scores 100
    assert full_scores and all(v == pytest.approx(100.0) for v in full_scores)
    # organizers see the verdict with the run; a team's views of its submission do not
    shown = CliRunner().invoke(app, ["run", str(runs["half a table"].id), "-c", str(cup), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["integrity"]["verdict"] == "suspect"
    # the organizer's list flags each table as a `lookup` (issue 26 item 5), the honest run not
    listed = CliRunner().invoke(app, ["submissions", "-c", str(cup), "--json"])
    assert listed.exit_code == 0, listed.output
    kinds = {sub["label"]: [f["kind"] for f in sub["flags"]] for sub in json.loads(listed.output)}
    # (and as `sealed-text`: each table holds the sealed inputs)
    assert all({"lookup", "sealed-text"} <= set(kinds[name]) for name in cheats), kinds
    assert kinds["const"] == [], kinds
    p = Podium.open(cup)
    team_view = json.dumps([sub.to_dict() for sub in p.submissions.find("Cheat")])
    p.close()
    assert "p_value" not in team_view and "lookup" not in team_view and "flags" not in team_view


# an honest model that knows nothing: every answer a hash of the item's text, so a canary's
# answer differs from its original's about as often one way as the other (a lean near 0.5)
HASH_PREDICT = """
import json, os, pathlib, zlib
CHOICES = {"xnli": ["entailment", "neutral", "contradiction"], "pawsx": ["0", "1"],
           "udpos": ["NOUN", "VERB", "DET", "ADP"], "panx": ["O", "B-LOC", "I-LOC"]}
def pick(task, text):
    return CHOICES[task][zlib.crc32(text.encode()) % len(CHOICES[task])]
src, dst = pathlib.Path(os.environ["PODIUM_INPUT_DIR"]), pathlib.Path(os.environ["PODIUM_OUTPUT_DIR"])
for f in sorted(src.glob("*/*.jsonl")):
    task = f.parent.name
    (dst / task).mkdir(parents=True, exist_ok=True)
    with f.open() as fin, (dst / task / f.name).open("w") as fout:
        for line in fin:
            r = json.loads(line)
            if "tokens" in r:
                out = {"id": r["id"], "tags": [pick(task, t) for t in r["tokens"]]}
            else:
                text = json.dumps({k: v for k, v in r.items() if k != "id"}, sort_keys=True)
                out = {"id": r["id"], "label": pick(task, text)}
            fout.write(json.dumps(out) + "\\n")
"""


def test_calibrate_sets_the_honest_lean_every_later_run_is_judged_with(
    cup: Path, tmp_path: Path
) -> None:
    from podium.rules.integrity import binomial_tail
    from podium.store.models import Calibration

    data_info = CliRunner().invoke(app, ["data", "info", "-c", str(cup)])
    assert "honest_lean 0.75 (the default: no calibration" in " ".join(data_info.output.split())
    guess = write_submission(tmp_path / "guess", HASH_PREDICT)
    shown = CliRunner().invoke(app, ["calibrate", "--submission", str(guess), "--runs", "3",
                                     "-c", str(cup)])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    with Podium.open(cup) as p:
        with p.competition.sessions() as s:
            stored = s.scalars(select(Calibration)).one().integrity
        setting = p.evaluation.integrity_setting()
        assert stored is not None and stored["canary_wins"] > 20 and stored["original_wins"] > 20
        lean = stored["recommended_lean"]
        assert 0.5 < lean < 0.75 and (setting.source, setting.rule.honest_lean) == (
            "calibration", lean
        )  # fmt: skip
        assert f"honest_lean set to {lean:.2f} by this calibration" in text
        assert f"which flags a model like this one in {100 * stored['false_positive']:.2g}%" in text
        assert stored["configured_lean"] == lean and stored["false_positive"] < 0.001
        # the next run is judged with the calibrated lean: the same pairs, that lean's p
        p.submissions.submit(guess, team="Honest")
        (outcome,) = p.evaluation.evaluate_pending()
        integrity = p.results.run(outcome.run_id).integrity
    wins, d = stored["original_wins"], stored["original_wins"] + stored["canary_wins"]
    assert integrity is not None and integrity["verdict"] == "clean"
    canary_p = integrity.get("canary_p_value", integrity["p_value"])  # beside a contrast test
    assert canary_p == pytest.approx(binomial_tail(wins, d, lean))
    assert canary_p != pytest.approx(binomial_tail(wins, d, 0.75))
    data_info = CliRunner().invoke(app, ["data", "info", "-c", str(cup)])
    assert f"honest_lean {lean:.2f} set by the calibration of" in data_info.output
    # a lean written in competition.toml overrides any calibration
    spec = cup / "competition.toml"
    spec.write_text(
        spec.read_text().replace("canary_share = 0.5", "canary_share = 0.5\nhonest_lean = 0.9")
    )
    with Podium.open(cup) as p:
        setting = p.evaluation.integrity_setting()
    assert (setting.source, setting.rule.honest_lean) == ("competition.toml", 0.9)


def test_a_calibration_without_discordant_pairs_sets_nothing(cup: Path, tmp_path: Path) -> None:
    shown = CliRunner().invoke(
        app, ["calibrate", "--submission", str(constant(tmp_path)), "--runs", "3", "-c", str(cup)]
    )
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "gap +0.000" in text and "0 discordant" in text
    assert "nothing measured, nothing set; honest_lean stays 0.75 (default)" in text
    p = Podium.open(cup)
    with p.competition.sessions() as s:
        from podium.store.models import Calibration

        stored = s.scalars(select(Calibration)).one().integrity
    assert p.evaluation.integrity_setting().source == "default"
    p.close()
    assert stored is not None and stored["canaries"] > 50 and stored["recommended_lean"] == 0.5
