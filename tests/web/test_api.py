"""The JSON API over a real store: auth, uploads, visibility, organizer actions, bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient

from podium.service import Podium

from ..conftest import count_rows, dump_store
from .conftest import Cup, bearer, make_cup


def _archives(cup: Cup) -> list[Path]:
    folder = cup.root / "artifacts" / "submissions"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _submission_rows(cup: Cup) -> int:
    return count_rows(cup.root, "submissions")


def _upload(client: TestClient, token: str, data: bytes, name: str = "sub.zip", **form: str):
    return client.post(
        "/api/submissions", headers=bearer(token), files={"file": (name, data)}, data=form
    )


def _evaluate(cup: Cup) -> None:
    podium = cup.podium()
    try:
        podium.evaluation.evaluate_pending()
    finally:
        podium.close()


def test_tokens_are_stored_hashed_and_revocable(cup: Cup, client: TestClient) -> None:
    dump = dump_store(cup.root)
    assert cup.lex not in dump and cup.organizer not in dump
    assert client.get("/api/me", headers=bearer(cup.lex)).json()["team"] == "Quick Lex"
    forged = cup.lex[:-2] + ("aa" if not cup.lex.endswith("aa") else "bb")
    assert client.get("/api/me", headers=bearer(forged)).status_code == 401
    podium = cup.podium()
    token_id = next(t.id for t in podium.tokens.find() if t.team == "Quick Lex")
    podium.tokens.revoke(token_id)
    podium.close()
    response = client.get("/api/me", headers=bearer(cup.lex))
    assert response.status_code == 401 and "revoked" in response.json()["error"]


def test_upload_counts_attempts_exactly_and_refuses_the_fourth(
    cup: Cup, client: TestClient
) -> None:
    attempts = []
    for i in range(3):
        r = _upload(client, cup.lex, cup.archive, f"try{i}.zip")
        assert r.status_code == 201, r.text
        attempts.append(r.json()["attempt"])
    assert attempts == [1, 2, 3]
    before = (_archives(cup), _submission_rows(cup))
    r = _upload(client, cup.lex, cup.archive + b"\n" * 0, "again.zip")
    assert r.status_code == 409 and "all 3 attempt" in r.json()["error"]
    assert (_archives(cup), _submission_rows(cup)) == before
    team = client.get("/api/teams/Quick Lex", headers=bearer(cup.lex)).json()
    assert team["attempts_left"] == {"evaluation": 0}
    assert [s["attempt"] for s in team["submissions"]] == [3, 2, 1]
    # queue positions are exact and the other team is unaffected
    assert [s["queue_position"] for s in team["submissions"]] == [3, 2, 1]
    deep = client.get("/api/teams/Deep Percept", headers=bearer(cup.deep)).json()
    assert deep["attempts_left"] == {"evaluation": 3}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("podium.toml")
        body = b'[submission]\ncommand = "python predict.py"\n'
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
        link = tarfile.TarInfo("secret")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/hostname"
        archive.addfile(link)
    return buffer.getvalue()


def test_bad_uploads_get_a_clear_4xx_and_store_nothing(cup: Cup, client: TestClient) -> None:
    toml = b'[submission]\ncommand = "python predict.py"\n'
    cases = {
        "not an archive": (b"just some text, not a zip", 422, "not a .zip or .tar.gz archive"),
        "escaping path": (_zip({"podium.toml": toml, "../evil.py": b"x"}), 422, "evil"),
        "symlink": (_tar_with_symlink(), 422, "link"),
        "no podium.toml": (_zip({"predict.py": b"print(1)"}), 422, "podium.toml"),
    }
    for what, (data, status, needle) in cases.items():
        r = _upload(client, cup.lex, data, "bad.zip")
        assert r.status_code == status, (what, r.text)
        assert needle in r.json()["error"], (what, r.json())
    assert _archives(cup) == [] and _submission_rows(cup) == 0
    # missing token, and a team token naming another team
    assert (
        client.post("/api/submissions", files={"file": ("a.zip", cup.archive)}).status_code == 401
    )
    r = _upload(client, cup.lex, cup.archive, team="Deep Percept")
    assert r.status_code == 403
    assert _submission_rows(cup) == 0
    # the server still serves
    assert client.get("/api/leaderboard").status_code == 200


def test_oversized_upload_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    from podium.web.app import create_app

    cup = make_cup(tmp_path, "max_upload_bytes = 4096\n")
    with TestClient(create_app(cup.root, evaluate=False)) as client:
        r = _upload(client, cup.lex, b"PK" + b"\0" * 200_000, "huge.zip")
        assert r.status_code == 413 and "max_upload_bytes" in r.json()["error"]
        assert _archives(cup) == [] and _submission_rows(cup) == 0

        def chunks():  # no Content-Length: counted as it arrives
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.zip"\r\n\r\n'
            for _ in range(100):
                yield b"PK" + b"\0" * 1000

        r = client.post(
            "/api/submissions",
            content=chunks(),
            headers={**bearer(cup.lex), "content-type": "multipart/form-data; boundary=b"},
        )
        assert r.status_code == 413 and "max_upload_bytes" in r.json()["error"]
        assert _archives(cup) == [] and _submission_rows(cup) == 0
        assert client.get("/api/stages").status_code == 200


def test_closed_stage_refuses_uploads(cup: Cup, client: TestClient) -> None:
    r = client.post("/api/stages/evaluation/close", headers=bearer(cup.lex))
    assert r.status_code == 403
    assert client.post("/api/stages/evaluation/close", headers=bearer(cup.organizer)).is_success
    r = _upload(client, cup.lex, cup.archive)
    assert r.status_code == 409 and "no stage is open" in r.json()["error"]
    assert _archives(cup) == []


def test_leaderboard_api_equals_cli_json_and_csv(cup: Cup, client: TestClient) -> None:
    assert _upload(client, cup.lex, cup.archive).status_code == 201
    assert _upload(client, cup.deep, cup.archive, "deep.zip").status_code == 201
    assert client.get("/api/leaderboard").json()["rows"] == []  # cached, then invalidated
    _evaluate(cup)
    api = client.get("/api/leaderboard").json()
    cli = subprocess.run(
        [sys.executable, "-m", "podium", "leaderboard", "--json", "-c", str(cup.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert api == json.loads(cli.stdout)
    assert [r["team"] for r in api["rows"]] and len(api["rows"]) == 2
    rows = list(csv.DictReader(io.StringIO(client.get("/api/leaderboard.csv").text)))
    assert [r["team"] for r in rows] == [r["team"] for r in api["rows"]]
    for row, ref in zip(rows, api["rows"], strict=True):
        assert abs(float(row["overall"]) - ref["overall"]) < 1e-6
        assert abs(float(row["duration_seconds"]) - ref["duration"]) < 1e-6
        assert int(row["run_id"]) == ref["run_id"]
    chart = client.get("/api/charts").json()
    assert sorted(chart["history"]) == sorted(r["team"] for r in api["rows"])
    assert chart["teams"] == [r["team"] for r in api["rows"]]
    assert set(chart) >= {"history", "teams", "overall", "duration", "duration_min",
                          "duration_max", "hardware"}  # keys are only ever added  # fmt: skip
    assert chart["duration_low"] == [round(r["duration_ci95"][0], 4) for r in api["rows"]]
    assert chart["repeats"] == [r["repeats"] for r in api["rows"]]


def test_teams_see_only_their_own_things_until_code_is_released(
    cup: Cup, client: TestClient
) -> None:
    sub = _upload(client, cup.lex, cup.archive).json()["submission_id"]
    _evaluate(cup)
    run_id = client.get(f"/api/submissions/{sub}", headers=bearer(cup.lex)).json()["run_id"]
    own = client.get(f"/api/submissions/{sub}/archive", headers=bearer(cup.lex))
    assert own.status_code == 200 and own.content == cup.archive
    assert client.get(f"/api/runs/{run_id}/log", headers=bearer(cup.lex)).status_code == 200
    for url in (
        "/api/teams/Quick Lex",
        f"/api/submissions/{sub}",
        f"/api/submissions/{sub}/archive",
        f"/api/runs/{run_id}/log",
    ):
        assert client.get(url, headers=bearer(cup.deep)).status_code == 403, url
        assert client.get(url).status_code == 401, url
    assert client.get("/api/runs", headers=bearer(cup.deep)).status_code == 403
    runs = client.get("/api/runs", headers=bearer(cup.organizer)).json()
    assert runs[0]["fingerprint"] and runs[0]["submission_sha256"]
    # the evaluation stage releases code once closed
    assert client.post("/api/stages/evaluation/close", headers=bearer(cup.organizer)).is_success
    shared = client.get(f"/api/submissions/{sub}/archive", headers=bearer(cup.deep))
    assert shared.status_code == 200 and shared.content == cup.archive
    assert client.get("/api/teams/Quick Lex", headers=bearer(cup.deep)).status_code == 403


def test_final_stays_hidden_until_revealed_then_enters_the_hall_of_fame(
    cup: Cup, client: TestClient
) -> None:
    _upload(client, cup.lex, cup.archive)
    _evaluate(cup)
    client.post("/api/stages/evaluation/close", headers=bearer(cup.organizer))
    podium = cup.podium()
    podium.finals.run()
    podium.close()
    for headers in ({}, bearer(cup.lex)):
        r = client.get("/api/leaderboard?stage=final", headers=headers)
        assert r.status_code == 403 and "hidden" in r.json()["error"]
    final_sub = client.get("/api/teams/Quick Lex", headers=bearer(cup.lex)).json()["submissions"][0]
    assert final_sub["stage"] == "final" and final_sub["overall"] is None and final_sub["hidden"]
    assert client.get("/api/leaderboard?stage=final", headers=bearer(cup.organizer)).is_success
    assert client.post("/api/final/reveal", headers=bearer(cup.lex)).status_code == 403
    assert client.post("/api/final/reveal", headers=bearer(cup.organizer)).json()["winners"]
    assert client.get("/api/leaderboard?stage=final").json()["rows"][0]["team"] == "Quick Lex"
    fame = client.get("/api/hall-of-fame").json()
    assert {(e["stage"], e["team"]) for e in fame} == {
        ("evaluation", "Quick Lex"),
        ("final", "Quick Lex"),
    }


def test_a_platform_failure_can_be_re_run_by_an_organizer(cup: Cup, client: TestClient) -> None:
    sub = _upload(client, cup.lex, cup.archive).json()["submission_id"]
    archive = _archives(cup)[0]
    archive.write_bytes(b"damaged")  # the platform's fault, not the team's
    _evaluate(cup)
    runs = client.get("/api/runs", headers=bearer(cup.organizer)).json()
    assert {r["status"] for r in runs} == {"platform_error"}
    latest = runs[0]
    assert latest["retryable"] and not any(r["retryable"] for r in runs[1:])
    assert (
        client.post(
            f"/api/runs/{runs[1]['run_id']}/retry", headers=bearer(cup.organizer)
        ).status_code
        == 409
    )
    archive.write_bytes(cup.archive)
    r = client.post(f"/api/runs/{latest['run_id']}/retry", headers=bearer(cup.lex))
    assert r.status_code == 403
    r = client.post(f"/api/runs/{latest['run_id']}/retry", headers=bearer(cup.organizer))
    assert r.status_code == 202
    _evaluate(cup)
    view = client.get(f"/api/submissions/{sub}", headers=bearer(cup.lex)).json()
    assert view["status"] == "scored" and view["attempt"] == 1 and view["overall"] is not None


def test_openapi_and_no_sealed_data_served(cup: Cup, client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 404  # Swagger UI would need a CDN
    for path in ("/api/leaderboard", "/api/submissions", "/api/teams/{team}", "/api/final/reveal"):
        assert path in paths
    for url in (
        "/sealed/manifest.json",
        "/static/../sealed/manifest.json",
        "/static/%2e%2e%2fsealed%2fmanifest.json",
        "/static/web-secret",
        "/artifacts/web-secret",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert b"sha256" not in r.content


def test_podium_submit_to_a_server_uses_the_same_checks(cup: Cup, tmp_path: Path) -> None:
    from podium.cli.remote import upload_submission
    from podium.core.errors import PodiumError

    try:
        # the retries' waits are short here: whether they happen is what is tested
        upload_submission("http://127.0.0.1:9", cup.lex, tmp_path / "constant", backoff=0.01)
    except PodiumError as err:
        assert "cannot reach the podium server" in err.message
    else:
        raise AssertionError("an unreachable server must be a clear error")
    podium = Podium.open(cup.root)
    podium.close()
