"""Pages and forms over the real app: sessions, CSRF, what each principal may see."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from podium.report.charts import drawing_script
from podium.web import session

from .conftest import Cup


def _sign_in(client: TestClient, token: str) -> str:
    form = client.get("/signin", headers={"accept": "text/html"})
    r = client.post(
        "/signin", data={"token": token, "csrf": _csrf(form.text)}, follow_redirects=False
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and token not in cookie
    return r.headers["location"]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_session_cookie_signing_rejects_forgeries() -> None:
    secret, key = b"k" * 32, "K" * 43
    cookie = session.issue(secret, key)
    assert session.read(secret, cookie) == key
    assert session.read(secret, "L" + cookie[1:]) is None
    assert session.read(b"other" * 8, cookie) is None
    assert session.read(secret, "garbage") is None
    assert session.csrf_ok(secret, cookie, session.csrf_token(secret, cookie))
    assert not session.csrf_ok(secret, cookie, None)
    assert not session.csrf_ok(secret, cookie, session.csrf_token(secret, cookie + "x"))


def test_sign_in_goes_to_the_right_page_and_bad_tokens_do_not(cup: Cup, client: TestClient) -> None:
    assert _sign_in(client, cup.lex) == "/teams/Quick%20Lex"
    page = client.get("/teams/Quick Lex", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Alan" in page.text and "attempts left" in page.text
    other = client.get("/teams/Deep Percept", headers={"accept": "text/html"})
    assert other.status_code == 403 and "visible only to its members" in other.text
    assert client.get("/admin", headers={"accept": "text/html"}).status_code == 403
    client.cookies.clear()
    csrf = _csrf(client.get("/signin", headers={"accept": "text/html"}).text)
    r = client.post("/signin", data={"token": "pdm_nope", "csrf": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/signin?error=unknown" and "set-cookie" not in r.headers


def test_sign_in_only_from_our_own_form(cup: Cup, client: TestClient) -> None:
    """Login CSRF: a form posted from another site cannot sign a browser in."""
    for data in ({"token": cup.lex}, {"token": cup.lex, "csrf": "0" * 40}):
        r = client.post("/signin", data=data, follow_redirects=False)
        assert r.headers["location"] == "/signin?error=expired"
        assert session.COOKIE_NAME not in r.headers.get("set-cookie", "")
    page = client.get("/signin?error=expired", headers={"accept": "text/html"})
    assert "did not come from this site" in page.text
    csrf = _csrf(page.text)  # the nonce cookie is kept: an open form stays valid
    assert csrf == _csrf(client.get("/signin", headers={"accept": "text/html"}).text)
    client.cookies.delete(session.SIGNIN_COOKIE)  # another browser: its own nonce
    assert not session.signin_ok(b"", None, csrf)
    r = client.post("/signin", data={"token": cup.lex, "csrf": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/signin?error=expired"


def test_forms_need_the_session_csrf_token(cup: Cup, client: TestClient) -> None:
    assert _sign_in(client, cup.organizer) == "/admin"
    admin = client.get("/admin", headers={"accept": "text/html"})
    token = _csrf(admin.text)
    for bad in ({}, {"csrf": "0" * 40}):
        r = client.post("/admin/stages/evaluation/close", data=bad, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.json()["error"]
    assert client.get("/api/stages").json()[0]["status"] == "open"
    r = client.post("/admin/stages/evaluation/close", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/stages").json()[0]["status"] == "closed"
    # a forged cookie is no session at all
    client.cookies.clear()
    client.cookies.set(session.COOKIE_NAME, "K" * 43 + ".deadbeef")
    r = client.post("/admin/final/run", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 401


def test_a_team_uploads_from_the_browser_form(cup: Cup, client: TestClient) -> None:
    _sign_in(client, cup.lex)
    token = _csrf(client.get("/teams/Quick Lex", headers={"accept": "text/html"}).text)
    r = client.post(
        "/teams/Deep Percept/submit",
        data={"csrf": token},
        files={"file": ("x.zip", cup.archive)},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post(
        "/teams/Quick Lex/submit",
        data={"csrf": token},
        files={"file": ("constant.zip", cup.archive)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/teams/Quick%20Lex?submitted=1"
    page = client.get(r.headers["location"], headers={"accept": "text/html"}).text
    assert "queue position 1" in page and "Submission #1 received" in page
    assert 'id="left-evaluation">2<' in page


def test_leaderboard_page_renders_for_anyone_and_hides_the_final(
    cup: Cup, client: TestClient
) -> None:
    html = client.get("/leaderboard", headers={"accept": "text/html"}).text
    assert "No scored submission yet" in html and "/static/plotly.min.js" in html
    hidden = client.get("/leaderboard?stage=final", headers={"accept": "text/html"})
    assert hidden.status_code == 200 and "Results hidden" in hidden.text
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000 and b"plotly" in js.content[:2000]
    assert client.get("/static/charts.js").content == drawing_script().read_bytes()
    assert client.get("/hall-of-fame", headers={"accept": "text/html"}).status_code == 200


def test_the_organizer_page_shows_the_fleet_and_a_worker_token_signs_nobody_in(
    client: TestClient, cup: Cup
) -> None:
    with cup.podium() as podium:
        token = podium.tokens.create("worker", label="gpu-01")
        machine = podium.tokens.authenticate(token)
        assert machine is not None
        podium.workers.hello(machine, "local", {"cpu": "Test CPU", "cores": 8, "gpu": None})
        other = podium.tokens.authenticate(podium.tokens.create("worker", label="gpu-02"))
        assert other is not None
        podium.workers.hello(other, "local", {"cpu": "Other CPU", "cores": 8, "gpu": None})
    csrf = _csrf(client.get("/signin", headers={"accept": "text/html"}).text)
    r = client.post("/signin", data={"token": token, "csrf": csrf}, follow_redirects=False)
    assert r.headers["location"] == "/signin?error=worker" and "set-cookie" not in r.headers
    assert _sign_in(client, cup.organizer) == "/admin"
    page = client.get("/admin", headers={"accept": "text/html"}).text
    fleet = page.split('id="fleet"')[1].split("</section>")[0]
    assert "gpu-01" in fleet and "Test CPU, 8 cores" in fleet and "idle" in fleet
    assert "differs in cpu: its runs are not compared" in fleet
