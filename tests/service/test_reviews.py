"""Flags for organizers, from the cheater's side: the public test set's texts in an archive
(gzipped in a tar in a zip), twin teams uploading the same code before and after a release,
a hostile archive at intake; then an organizer's decision, its audit trail and what a
disqualification recomputes."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from podium.core.errors import RuleError
from podium.service import Podium
from podium.store.models import OutboxMessage

from ..conftest import CONSTANT_PREDICT, RUN_LIMIT, write_submission

SPEC = """
name = "review cup"
[tasks.xnli]
languages = ["en"]
[tasks.udpos]
languages = ["en"]
[data]
source = "synthetic"
max_examples_per_language = 200
[[stages]]
name = "first"
split = "eval"
attempts = 5
release_code = true
declare_winner = true
[[stages]]
name = "second"
split = "eval"
attempts = 5
[sandbox]
timeout_seconds = {timeout}
runner = "subprocess"
[notify]
urls = ["json://127.0.0.1:9/all"]
[notify.teams]
Alpha = ["json://127.0.0.1:9/alpha"]
Beta = ["json://127.0.0.1:9/beta"]
"""
# real work of some size: winnowing needs more than a few lines to call two files the same
MODEL = (Path(__file__).parents[2] / "examples" / "perceptron" / "model.py").read_text()


@pytest.fixture
def podium(tmp_path: Path) -> Podium:
    root = tmp_path / "cup"
    root.mkdir()
    (root / "competition.toml").write_text(SPEC.format(timeout=RUN_LIMIT))
    p = Podium.open(root)
    p.setup.prepare_data()
    for team in ("Alpha", "Beta", "Gamma"):
        p.setup.add_team(team)
    p.setup.open_stage("first")
    return p


def _predict(team: str) -> str:
    """The constant model as each team would write it: its own names."""
    names = {"src": "inputs", "dst": "outputs", "fin": "reader", "fout": "writer", "out": "row"}
    code = CONSTANT_PREDICT
    for old, new in names.items():
        code = re.sub(rf"\b{old}\b", f"{new}_{team}", code)
    return code


def _own_code(folder: Path, twist: str = "", team: str = "") -> Path:
    """A team's own code (not podium's examples): a renamed copy of a shipped model would be
    released code; this is the same size but written differently."""
    sub = write_submission(folder, _predict(team or folder.name))
    own = MODEL.replace("def ", "def team_").replace("self", "me")
    (sub / "model.py").write_text(own.replace("me.", f"me{twist}."))
    return sub


def _kinds(podium: Podium, sub_id: int) -> list[str]:
    return [f["kind"] for f in podium.reviews.flags().get(sub_id, [])]


def _sealed_records(podium: Podium) -> list[dict[str, object]]:
    inputs = podium.competition.layout.sealed_dir / "inputs"
    return [json.loads(line) for f in sorted(inputs.rglob("*.jsonl")) for line in f.open()]


def test_the_public_test_set_nested_in_an_archive_is_flagged(
    podium: Podium, tmp_path: Path
) -> None:
    texts = [" ".join(r["tokens"]) if "tokens" in r else f"{r['text_a']} | {r['text_b']}"
             for r in _sealed_records(podium)]  # fmt: skip
    table = "\n".join(json.dumps({"key": t, "label": "x"}) for t in texts).encode()
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w") as tar:
        info = tarfile.TarInfo("cache/table.jsonl.gz")
        data = gzip.compress(table)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    cheat = write_submission(tmp_path / "cheat", CONSTANT_PREDICT)
    with zipfile.ZipFile(cheat / "weights.zip", "w") as z:
        z.writestr("blob.tar", inner.getvalue())
    honest = write_submission(tmp_path / "honest", _predict("honest"))
    public = podium.competition.layout.public_dir
    for f in public.rglob("*.jsonl"):  # the training data handed to teams is fine to ship
        (honest / "data" / f.relative_to(public)).parent.mkdir(parents=True, exist_ok=True)
        (honest / "data" / f.relative_to(public)).write_bytes(f.read_bytes())
    cheated = podium.submissions.submit(cheat, team="Alpha").submission_id
    fair = podium.submissions.submit(honest, team="Beta").submission_id
    flags = podium.reviews.flags()
    assert [f["kind"] for f in flags[cheated]] == ["sealed-text"]
    found = flags[cheated][0]
    assert found["found"] >= 0.9 * found["sealed_texts"]
    assert found["where"][0]["file"] == "weights.zip/blob.tar/cache/table.jsonl"
    assert fair not in flags


def test_twins_are_flagged_before_a_release_and_not_after(podium: Podium, tmp_path: Path) -> None:
    code = _own_code(tmp_path / "twin")
    first = podium.submissions.submit(code, team="Alpha").submission_id
    twin = podium.submissions.submit(code, team="Beta").submission_id
    again = podium.submissions.submit(code, team="Alpha").submission_id  # its own code: fine
    near_code = _own_code(tmp_path / "near", team="twin")  # the same files, reworded:
    for name in ("model.py", "predict.py"):  # comments, indentation, a helper added
        text = (near_code / name).read_text().replace("    ", "\t")
        (near_code / name).write_text(
            f"# {name}: our own work\n{text}\n\ndef helper():\n\treturn 1\n"
        )
    near = podium.submissions.submit(near_code, team="Gamma").submission_id
    assert set(_kinds(podium, twin)) == {"identical"} and "identical" in _kinds(podium, first)
    flags = podium.reviews.flags()[again]
    pointed = [f["other_submission"] for f in flags if f["kind"] == "identical"]
    assert pointed == [twin]  # its own team's first attempt is not a copy
    assert set(_kinds(podium, near)) == {"similar"}
    similar = [f for flag in podium.reviews.flags()[near] for f in flag["files"]]
    assert {f["path"] for f in similar} == {"model.py", "predict.py"}
    podium.finals.close_stage("first", remeasure_here=False)  # releases everyone's code
    podium.setup.open_stage("second")
    reused = podium.submissions.submit(code, team="Gamma").submission_id
    edited_code = _own_code(tmp_path / "edited", "__", team="twin")
    edited = podium.submissions.submit(edited_code, team="Gamma").submission_id
    assert _kinds(podium, reused) == [] and _kinds(podium, edited) == []


def test_a_hostile_archive_is_contained_and_the_next_is_scored(
    podium: Podium, tmp_path: Path
) -> None:
    hostile = write_submission(tmp_path / "bomb", CONSTANT_PREDICT)
    (hostile / "a.gz").write_bytes(gzip.compress(b"word " * 200_000) * 2000)  # 2 GB of text
    nested = b"x"
    for _ in range(30):
        nested = gzip.compress(nested)
    (hostile / "deep.gz").write_bytes(nested)
    bomb = podium.submissions.submit(hostile, team="Alpha").submission_id
    honest = podium.submissions.submit(_own_code(tmp_path / "ok"), team="Beta").submission_id
    outcomes = {o.submission_id: o.status for o in podium.evaluation.evaluate_pending()}
    assert outcomes == {bomb: "scored", honest: "scored"}
    assert podium.reviews.flags() == {}


def test_a_disqualified_winner_leaves_the_board_and_its_team_is_told(
    podium: Podium, tmp_path: Path
) -> None:
    subs = {team: podium.submissions.submit(_own_code(tmp_path / team, team), team=team).submission_id
            for team in ("Alpha", "Beta")}  # fmt: skip
    podium.evaluation.evaluate_pending()
    podium.finals.close_stage("first", remeasure_here=False)
    winner = podium.finals.hall_of_fame()[0].team_name
    with pytest.raises(RuleError, match="needs a reason"):
        podium.reviews.decide(subs[winner], "disqualify", " ", by="organizer")
    decided = podium.reviews.decide(subs[winner], "disqualify", "a lookup table", by="Ann")
    other = "Beta" if winner == "Alpha" else "Alpha"
    assert decided.winners == (other,)
    assert [r.team for r in podium.results.leaderboard("first", organizer=True).rows] == [other]
    assert [e.team_name for e in podium.finals.hall_of_fame()] == [other]
    report = podium.finals.close_report("first")  # what `stage close` printed, restated
    assert report is not None and [t for _, t, _ in report.winners] == [other]
    amendment = (f"after the close, review #{decided.id}: submission {subs[winner]} of "
                 f"{winner} disqualified; the winner is {other}, not {winner}")  # fmt: skip
    closing = podium.results.leaderboard("first").closing  # what the board shows
    assert amendment in closing and f"winner: 1. {other}" in closing[-1]
    assert not any(line.startswith(f"winner: 1. {winner}") for line in closing)
    with podium.competition.sessions() as s:
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "disqualified")).all()
    assert [(m.team, "a lookup table" in m.body) for m in told] == [(winner, True)]
    record = podium.submissions.get(subs[winner]).to_dict()  # what the team's page shows
    assert record["disqualified"] == {"reason": "a lookup table"} and "flags" not in record
    podium.reviews.decide(subs[winner], "clear", "appeal upheld", by="Ann")
    assert [e.team_name for e in podium.finals.hall_of_fame()] == [winner]
    report = podium.finals.close_report("first")
    assert report is not None and [t for _, t, _ in report.winners] == [winner]
    assert [(a.decision, a.winners_after) for a in report.amendments] == [
        ("disqualified", (other,)), ("cleared", (winner,))
    ]  # fmt: skip
    assert "a lookup table" not in " ".join(report.lines())  # the reason: the audit trail's
    assert "disqualified" not in podium.submissions.get(subs[winner]).to_dict()
    trail = [(r.decision, r.reason, r.by) for r in podium.reviews.history(subs[winner])]
    assert trail == [("disqualified", "a lookup table", "Ann"), ("cleared", "appeal upheld", "Ann")]
