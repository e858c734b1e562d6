"""Flags reach organizers only: the admin page, the board's "under review" mark and the API;
a team sees none of it and cannot decide. The admin page's form and the API decide."""

from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from podium.cli.main import app

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


def run(*args: str, ok: bool = True) -> Result:
    """`podium ARGS` in this process (the CLI's own code, without a start per command)."""
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert (done.exit_code == 0) == ok, done.output
    return done


def _keys(value: object) -> set[str]:
    """Every key of a JSON answer, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_a_remote_organizer_sees_what_the_terminal_shows_and_a_team_nothing(
    cup: Cup, live: str
) -> None:
    lex, deep = _twins(cup)
    with cup.podium() as podium:
        runs = {sub: podium.submissions.get(sub).runs[-1].id for sub in (lex, deep)}
        integrity = podium.results.run(runs[lex]).integrity
    assert integrity is not None and integrity["canaries"] > 0
    secret = {"flags", "review", "integrity"}
    with httpx.Client(base_url=live) as http:
        org, team = bearer(cup.organizer), bearer(cup.lex)
        listed = http.get("/api/submissions", headers=org).json()
        assert [[f["kind"] for f in s["flags"]] for s in listed] == [["identical"]] * 2
        assert [s["review"] for s in listed] == [None, None]
        assert http.get(f"/api/runs/{runs[lex]}", headers=org).json()["integrity"] == integrity
        answer = http.get(f"/api/submissions/{deep}/result", headers=org).json()
        assert (
            answer["integrity"]
            == http.get(f"/api/runs/{runs[deep]}", headers=org).json()["integrity"]
        )
        # a team's token, on its own submission and on the other team's: absent, not null
        for path in ("/api/submissions", "/api/submissions?team=Quick%20Lex",
                     f"/api/submissions/{lex}", f"/api/submissions/{lex}/result",
                     f"/api/runs/{runs[lex]}", "/api/teams/Quick%20Lex", "/api/leaderboard", "/api/me"):  # fmt: skip
            got = http.get(path, headers=team)
            assert got.status_code == 200 and not _keys(got.json()) & secret, path
        for path in (f"/api/runs/{runs[deep]}", f"/api/submissions/{deep}/result",
                     f"/api/submissions/{deep}", "/api/teams/Deep%20Percept",
                     "/api/submissions?team=Deep%20Percept", "/api/flags"):  # fmt: skip
            got = http.get(path, headers=team)
            assert got.status_code == 403 and not secret & set(got.text.split('"')), path
    local, c = ["--json", "-c", str(cup.root)], ["--server", live, "--json"]
    for command in (["submissions"], ["run", str(runs[lex])]):
        mine = json.loads(run(*command, *local).stdout)
        assert json.loads(run(*command, *c, "--token", cup.organizer).stdout) == mine, command
        assert not _keys(json.loads(run(*command, *c, "--token", cup.lex).stdout)) & secret
    # a team's token cannot decide over the server; the organizer's can, and the board follows
    why = ["--disqualify", "--reason", "the same archive"]
    refused = run("review", str(deep), *why, "--server", live, "--token", cup.lex, ok=False)
    assert isinstance(refused.exception, SystemExit) and "(403)" in refused.output
    decided = json.loads(run("review", str(deep), *why, *c, "--token", cup.organizer).stdout)
    assert (decided["decision"], decided["reason"], decided["by"]) == (
        "disqualified", "the same archive", "organizer"
    )  # fmt: skip
    with cup.podium() as podium:
        assert [r.decision for r in podium.reviews.history()] == ["disqualified"]
        assert [r.team for r in podium.results.leaderboard("evaluation").rows] == ["Quick Lex"]


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
