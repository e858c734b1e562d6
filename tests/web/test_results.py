"""The result page and its API: the team and organizers see a submission's result (place,
scores with each metric named, timing, errors by kind, log), another team gets 403 for the
page, the JSON and the cancel; a hidden stage's result stays hidden from the team until
revealed."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from podium.submission.archive import pack_folder

from ..conftest import write_submission
from .conftest import Cup, bearer

BAD = "import os, pathlib\npathlib.Path(os.environ['PODIUM_OUTPUT_DIR'], 'junk.txt').write_text('x')\n"


def _upload(client: TestClient, token: str, data: bytes) -> int:
    r = client.post("/api/submissions", headers=bearer(token), files={"file": ("s.zip", data)})
    assert r.status_code == 201, r.text
    return int(r.json()["submission_id"])


def _evaluate(cup: Cup) -> None:
    podium = cup.podium()
    try:
        podium.evaluation.evaluate_pending()
    finally:
        podium.close()


def test_a_result_page_for_the_team_and_organizers_only(
    cup: Cup, client: TestClient, tmp_path: Path
) -> None:
    good = _upload(client, cup.lex, cup.archive)
    bad = _upload(client, cup.lex, pack_folder(write_submission(tmp_path / "bad", BAD)))
    waiting = client.get(f"/api/submissions/{bad}/result", headers=bearer(cup.lex)).json()
    assert waiting["queue_position"] == 2 and waiting["can_cancel"] and waiting["run"] is None
    for path in (f"/submissions/{good}", f"/api/submissions/{good}/result"):
        assert client.get(path, headers=bearer(cup.deep)).status_code == 403
    assert (
        client.post(f"/api/submissions/{bad}/cancel", headers=bearer(cup.deep)).status_code == 403
    )
    _evaluate(cup)  # the hostile cancel changed nothing: both were run
    podium = cup.podium()
    try:  # a photo finish times it again: its result is still its evaluation's
        with podium.evaluation.locked():
            podium.evaluation.remeasure_once(good)
    finally:
        podium.close()

    page = client.get(f"/submissions/{good}", headers=bearer(cup.lex))
    assert page.status_code == 200
    for shown in ("span_f1 ✓", "token_accuracy", "Fingerprint", "interval", "choose-final",
                  'id="whole-log"', 'id="log"'):  # fmt: skip
        assert shown in page.text, shown
    for who in (cup.lex, cup.organizer):  # the team page: its overall, not a dash
        row = client.get("/api/teams/Quick Lex", headers=bearer(who)).json()["submissions"]
        assert [s["overall"] is not None for s in row if s["id"] == good] == [True]
    run_id = client.get(f"/api/submissions/{good}/result", headers=bearer(cup.lex)).json()["run"][
        "id"
    ]
    assert client.get(f"/runs/{run_id}", headers=bearer(cup.organizer)).status_code == 200
    assert client.get(f"/runs/{run_id}", headers=bearer(cup.deep)).status_code == 403
    failed = client.get(f"/api/submissions/{bad}/result", headers=bearer(cup.lex)).json()
    assert failed["status"] == "failed" and failed["problems"][0]["files"] == ["junk.txt"]
    team = client.get("/teams/Quick Lex", headers=bearer(cup.lex)).text
    assert f'href="/submissions/{bad}"' in team and "once in 1 file" in team

    client.post("/api/stages/evaluation/close", headers=bearer(cup.organizer))
    podium = cup.podium()
    podium.finals.run()
    podium.close()
    final = client.get("/api/submissions", headers=bearer(cup.lex)).json()[-1]
    assert final["stage"] == "final" and final["status"] == "hidden until revealed"
    hidden = client.get(f"/api/submissions/{final['id']}/result", headers=bearer(cup.lex)).json()
    assert hidden["run"] is None and hidden["result"] is None
    shown = client.get(f"/api/submissions/{final['id']}/result", headers=bearer(cup.organizer))
    assert shown.json()["result"]["overall"] > 0
