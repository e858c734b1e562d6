"""Personal tokens through the API, the pages and `podium submit --server`: each member is
themself, acts for their team only, and revoking one person leaves the other working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from ..patience import HANG
from .conftest import Cup, bearer
from .test_pages import _sign_in

EVE = "<img src=x onerror=alert(1)>"
SHOWN = "&lt;img src=x onerror=alert(1)&gt;"


def _personal(cup: Cup, team: str, member: str) -> str:
    podium = cup.podium()
    try:
        return podium.tokens.create("team", team=team, member=member)
    finally:
        podium.close()


def _upload(client: TestClient, token: str, data: bytes, name: str = "sub.zip"):
    return client.post("/api/submissions", headers=bearer(token), files={"file": (name, data)})


def test_revoking_one_person_leaves_the_other_submitting(cup: Cup, client: TestClient) -> None:
    alan, barbara = _personal(cup, "Quick Lex", "Alan"), _personal(cup, "Quick Lex", "Barbara")
    me = client.get("/api/me", headers=bearer(alan)).json()
    assert (me["team"], me["member"]) == ("Quick Lex", "Alan")
    sent = _upload(client, alan, cup.archive)
    assert sent.status_code == 201 and sent.json()["member"] == "Alan"
    podium = cup.podium()
    try:
        alan_id = next(t.id for t in podium.tokens.find() if t.member == "Alan")
        podium.tokens.revoke(alan_id)
    finally:
        podium.close()
    assert client.get("/api/me", headers=bearer(alan)).status_code == 401
    assert _upload(client, alan, cup.archive).status_code == 401
    assert _upload(client, barbara, cup.archive).status_code == 201
    assert _upload(client, cup.lex, cup.archive).status_code == 201  # the team's own token
    podium = cup.podium()
    try:
        outcomes = podium.evaluation.evaluate_pending()
    finally:
        podium.close()
    assert [o.status for o in outcomes] == ["scored"] * 3
    team = client.get("/api/teams/Quick Lex", headers=bearer(barbara)).json()
    assert [(s["member"], s["status"]) for s in team["submissions"]] == [
        (None, "scored"), ("Barbara", "scored"), ("Alan", "scored")]  # fmt: skip
    record = client.get("/api/submissions/2", headers=bearer(barbara)).json()
    assert record["member"] == "Barbara"


def test_a_member_sees_only_their_own_team(cup: Cup, client: TestClient) -> None:
    carol = _personal(cup, "Deep Percept", "Carol")
    assert client.get("/api/teams/Quick Lex", headers=bearer(carol)).status_code == 403
    assert client.get("/api/teams/Deep Percept", headers=bearer(carol)).status_code == 200
    r = client.post(
        "/api/submissions",
        headers=bearer(carol),
        files={"file": ("x.zip", cup.archive)},
        data={"team": "Quick Lex"},
    )
    assert r.status_code == 403
    assert _sign_in(client, carol) == "/teams/Deep%20Percept"
    page = client.get("/teams/Quick Lex", headers={"accept": "text/html"})
    assert page.status_code == 403


def test_pages_show_the_person_and_escape_their_name(cup: Cup, client: TestClient) -> None:
    podium = cup.podium()
    try:
        podium.setup.add_team("Markup", [EVE])
        eve = podium.tokens.create("team", team="Markup", member=EVE)
    finally:
        podium.close()
    alan = _personal(cup, "Quick Lex", "Alan")
    _sign_in(client, alan)
    page = client.get("/teams/Quick Lex", headers={"accept": "text/html"}).text
    assert "Alan · Quick Lex" in page
    assert _upload(client, alan, cup.archive).status_code == 201
    page = client.get("/teams/Quick Lex", headers={"accept": "text/html"}).text
    assert '<td class="l member">Alan</td>' in page
    client.cookies.clear()
    _sign_in(client, eve)
    assert _upload(client, eve, cup.archive, "e.zip").status_code == 201
    page = client.get("/teams/Markup", headers={"accept": "text/html"}).text
    assert EVE not in page and f"{SHOWN} · Markup" in page
    assert f'<td class="l member">{SHOWN}</td>' in page


def test_a_member_taken_off_the_team_is_signed_out(cup: Cup, client: TestClient) -> None:
    alan, barbara = _personal(cup, "Quick Lex", "Alan"), _personal(cup, "Quick Lex", "Barbara")
    _sign_in(client, alan)
    assert client.get("/api/me").json()["member"] == "Alan"  # the browser session
    assert _upload(client, alan, cup.archive).status_code == 201
    podium = cup.podium()
    try:
        podium.setup.remove_member("Quick Lex", "Alan")
    finally:
        podium.close()
    assert client.get("/api/me").json() == {"signed_in": False}  # the session ended with it
    assert client.get("/api/me", headers=bearer(alan)).status_code == 401
    team = client.get("/api/teams/Quick Lex", headers=bearer(barbara)).json()
    assert team["members"] == ["Barbara"]
    assert [s["member"] for s in team["submissions"]] == ["Alan"]  # the record stays true


def test_podium_submit_to_a_server_records_the_member(cup: Cup, live: str, tmp_path: Path) -> None:
    folder = tmp_path / "constant"  # written by make_cup
    env = {**os.environ, "PODIUM_TOKEN": _personal(cup, "Quick Lex", "Barbara")}
    sent = subprocess.run(
        [sys.executable, "-m", "podium", "submit", str(folder), "--server", live],
        capture_output=True, text=True, env=env, timeout=HANG,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "accepted for 'Quick Lex' from Barbara" in sent.stdout
    podium = cup.podium()
    try:
        assert [s.member for s in podium.submissions.find("Quick Lex")] == ["Barbara"]
    finally:
        podium.close()
