"""Flags reach organizers only: the admin page, the board's "under review" mark and the API;
a team sees none of it and cannot decide. The admin page's form and the API decide."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import Cup, bearer
from .test_csrf import HTML, sign_in


def _twins(cup: Cup) -> list[int]:
    with cup.podium() as podium:  # the same archive from both teams: identical
        ids = []
        for team in ("Quick Lex", "Deep Percept"):
            (cup.root / "twin.zip").write_bytes(cup.archive)
            ids.append(podium.submissions.submit(cup.root / "twin.zip", team=team).submission_id)
        podium.evaluation.evaluate_pending()
    return ids


def test_teams_see_no_flag_and_cannot_decide(cup: Cup, client: TestClient) -> None:
    lex, _ = _twins(cup)
    team = bearer(cup.lex)
    assert client.get("/api/flags", headers=team).status_code == 403
    body = {"decision": "clear", "reason": ""}
    assert client.post(f"/api/submissions/{lex}/review", json=body, headers=team).status_code == 403
    for path in ("/api/leaderboard", f"/api/submissions/{lex}", "/api/teams/Quick%20Lex"):
        answer = client.get(path, headers=team).text
        assert "identical" not in answer and "flags" not in answer, path
    sign_in(client, cup.lex)
    assert "under review" not in client.get("/leaderboard", headers=HTML).text


def test_organizers_see_flags_and_decide(cup: Cup, client: TestClient) -> None:
    lex, deep = _twins(cup)
    org = bearer(cup.organizer)
    flagged = client.get("/api/flags", headers=org).json()
    assert [(f["submission_id"], [x["kind"] for x in f["flags"]]) for f in flagged] == [
        (deep, ["identical"]), (lex, ["identical"])
    ]  # fmt: skip
    bad = client.post(f"/api/submissions/{deep}/review", json={"decision": "ban"}, headers=org)
    assert bad.status_code == 422
    csrf = sign_in(client, cup.organizer)
    admin = client.get("/admin", headers=HTML).text
    assert f"/admin/submissions/{deep}/review" in admin and "identical" in admin
    assert client.get("/leaderboard", headers=HTML).text.count("under review") == 2
    form = {"csrf": csrf, "decision": "disqualify", "reason": "the same archive as Quick Lex"}
    done = client.post(f"/admin/submissions/{deep}/review", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    cleared = client.post(f"/api/submissions/{lex}/review", json={"decision": "clear"}, headers=org)
    assert cleared.json()["decision"] == "cleared" and cleared.json()["by"] == "organizer"
    board = client.get("/api/leaderboard", headers=org).json()
    assert [r["team"] for r in board["rows"]] == ["Quick Lex"]
    assert "under review" not in client.get("/leaderboard", headers=HTML).text


def test_a_cancelled_submission_leaves_the_flags(cup: Cup, client: TestClient) -> None:
    with cup.podium() as podium:  # twins again, still queued
        ids = []
        for team in ("Quick Lex", "Deep Percept"):
            (cup.root / "twin.zip").write_bytes(cup.archive)
            ids.append(podium.submissions.submit(cup.root / "twin.zip", team=team).submission_id)
    lex, deep = ids
    assert client.post(f"/api/submissions/{deep}/cancel", headers=bearer(cup.deep)).is_success
    flagged = client.get("/api/flags", headers=bearer(cup.organizer)).json()
    assert [f["submission_id"] for f in flagged] == [lex]  # never run: nothing to decide
