"""CSRF on everything that changes state, decided by one dependency for every route: a
request the session cookie authenticates needs a same-origin Origin (or Referer) and the
token derived from the session; bearer-token clients are unchanged. Each refusal leaves the
store and artifacts/ as they were."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from podium.web import session

from .conftest import ORIGIN, Cup, bearer
from .test_intake import honest_upload_is_scored, state

HTML = {"accept": "text/html"}


def sign_in(client: TestClient, token: str) -> str:
    """Through the sign-in form, as a browser does; the page's CSRF token afterwards."""
    form = client.get("/signin", headers=HTML)
    nonce = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert nonce
    r = client.post("/signin", data={"token": token, "csrf": nonce[1]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    landed = client.get(r.headers["location"], headers=HTML)  # the team's page, or /admin
    assert landed.status_code == 200, (r.headers["location"], landed.text)
    page = client.get("/hall-of-fame", headers=HTML).text
    meta = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page)
    assert meta, "signed-in pages carry the CSRF token for their scripts"
    return meta[1]


def _stage_status(client: TestClient) -> str:
    return str(client.get("/api/stages").json()[0]["status"])


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://testserver:8001",  # another port of the same host: the same site
        "https://testserver",  # another scheme
        "null",
    ],
)
def test_the_session_cookie_alone_cannot_change_anything_from_elsewhere(
    cup: Cup, client: TestClient, origin: str
) -> None:
    csrf = sign_in(client, cup.organizer)
    before = state(cup)
    for url in ("/api/stages/evaluation/close", "/api/runs/1/retry", "/api/final/reveal"):
        r = client.post(url, headers={"Origin": origin, "X-CSRF-Token": csrf})
        assert r.status_code == 403 and "not from this site" in r.json()["error"], (url, r.text)
    r = client.post(
        "/api/submissions",
        headers={"Origin": origin, "X-CSRF-Token": csrf},
        data={"team": "Quick Lex"},
        files={"file": ("a.zip", cup.archive)},
    )
    assert r.status_code == 403
    assert _stage_status(client) == "open" and state(cup) == before


def test_same_origin_still_needs_the_csrf_header(cup: Cup, client: TestClient) -> None:
    csrf = sign_in(client, cup.lex)
    before = state(cup)
    for token in (None, b"0" * 40, "é".encode() * 20):
        headers = {} if token is None else {"X-CSRF-Token": token}
        r = client.post("/api/submissions", headers=headers, files={"file": ("a.zip", cup.archive)})
        assert r.status_code == 403 and "CSRF token is missing or wrong" in r.json()["error"]
    # an upload route never reads a url-encoded body to look for a token
    assert client.post("/api/submissions", data={"csrf": csrf}).status_code == 403
    assert state(cup) == before
    r = client.post(
        "/api/submissions", headers={"X-CSRF-Token": csrf}, files={"file": ("a.zip", cup.archive)}
    )
    assert r.status_code == 201 and r.json()["team"] == "Quick Lex"  # what page scripts do


def test_a_referer_stands_in_for_a_missing_origin(cup: Cup, client: TestClient) -> None:
    csrf = sign_in(client, cup.organizer)
    client.headers.pop("origin")
    r = client.post("/api/stages/evaluation/close", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403 and "says nothing" in r.json()["error"]
    evil = {"X-CSRF-Token": csrf, "Referer": "http://evil.example/page"}
    assert client.post("/api/stages/evaluation/close", headers=evil).status_code == 403
    ours = {"X-CSRF-Token": csrf, "Referer": f"{ORIGIN}/admin"}
    assert client.post("/api/stages/evaluation/close", headers=ours).status_code == 200
    assert _stage_status(client) == "closed"


def test_bearer_clients_are_unchanged(cup: Cup, client: TestClient) -> None:
    """No cookie, so nothing to forge: no Origin or CSRF header needed."""
    client.headers.pop("origin")
    r = client.post(
        "/api/submissions", headers=bearer(cup.lex), files={"file": ("a.zip", cup.archive)}
    )
    assert r.status_code == 201
    r = client.post("/api/stages/evaluation/close", headers=bearer(cup.organizer))
    assert r.status_code == 200


def _form(csrf: str | None, archive: bytes, *, csrf_first: bool = True) -> bytes:
    field = (
        b""
        if csrf is None
        else b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf.encode() + b"\r\n"
    )
    file = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\n'
    file += archive + b"\r\n"
    return (field + file if csrf_first else file + field) + b"--b--\r\n"


def test_the_team_form_needs_its_csrf_field_before_the_file(cup: Cup, client: TestClient) -> None:
    csrf = sign_in(client, cup.lex)
    headers = {"content-type": "multipart/form-data; boundary=b"}
    before = state(cup)
    for body in (
        _form(None, cup.archive),
        _form("0" * 40, cup.archive),
        _form("é" * 40, cup.archive),  # a non-ASCII token: 403, not 500
        _form(csrf, cup.archive, csrf_first=False),  # too late: the file was on its way
    ):
        r = client.post("/teams/Quick%20Lex/submit", content=body, headers=headers)
        assert r.status_code == 403 and "CSRF" in r.json()["error"], r.text
    assert state(cup) == before
    r = client.post(
        "/teams/Quick%20Lex/submit",
        content=_form(csrf, cup.archive),
        headers={**headers, "Origin": "http://evil.example"},
    )
    assert r.status_code == 403 and state(cup) == before
    r = client.post(
        "/teams/Quick%20Lex/submit",
        content=_form(csrf, cup.archive),
        headers=headers,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/teams/Quick%20Lex?submitted=1"


def test_garbled_cookies_and_fields_get_4xx_never_500(cup: Cup, client: TestClient) -> None:
    body = session.issue(b"x" * 32, "K" * 43).rsplit(".", 1)[0]
    forged = {"cookie": f"{session.COOKIE_NAME}={body}.{'é' * 64}".encode()}  # raw bytes
    for url in ("/leaderboard", "/hall-of-fame", "/signin", "/teams/Quick%20Lex", "/admin"):
        r = client.get(url, headers={**HTML, **forged}, follow_redirects=False)
        assert r.status_code in (200, 303), (url, r.status_code)
    assert client.get("/api/me", headers=forged).json() == {"signed_in": False}
    nonce = {"cookie": f"{session.SIGNIN_COOKIE}={'ü' * 32}".encode()}
    assert client.get("/signin", headers={**HTML, **nonce}).status_code == 200
    r = client.post("/signin", data={"token": cup.lex, "csrf": "ñ" * 40}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?error=expired"
    csrf = sign_in(client, cup.lex)
    r = client.post("/signout", data={"csrf": "ö" * 40})
    assert r.status_code == 403
    assert client.post("/signout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    honest_upload_is_scored(cup, client)
