"""Grants by the organizer's API and the admin page's form, recorded in the audit trail and
shown on the team page; a team's token and a team member's session get 403 and nothing is
recorded. An upload records who sent it: the organizer on a team's behalf, or a token."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import Cup, bearer
from .test_csrf import HTML, sign_in

GRANT = {"stage": "evaluation", "count": 2, "reason": "the runner crashed"}


def _left(client: TestClient, cup: Cup) -> dict[str, int]:
    page = client.get("/api/teams/Quick Lex", headers=bearer(cup.organizer)).json()
    return dict(page["attempts_left"])


def test_grants_by_api_and_form_for_organizers_only(cup: Cup, client: TestClient) -> None:
    url = "/api/teams/Quick Lex/grants"
    assert client.post(url, json=GRANT, headers=bearer(cup.lex)).status_code == 403
    csrf = sign_in(client, cup.lex)  # a member's session, with a valid CSRF token
    form = {"csrf": csrf, "team": "Quick Lex", **GRANT}
    assert client.post("/admin/grants", data=form, follow_redirects=False).status_code == 403
    assert _left(client, cup) == {"evaluation": 3}  # nothing recorded
    assert "granted" not in client.get("/teams/Quick Lex", headers=HTML).text

    done = client.post(url, json=GRANT, headers=bearer(cup.organizer))
    assert done.status_code == 201 and done.json()["attempts_left"] == {"evaluation": 5}
    assert done.json()["actor"] == "organizer" and done.json()["count"] == 2
    empty = client.post(url, json={**GRANT, "reason": " "}, headers=bearer(cup.organizer))
    assert empty.status_code in (400, 422) and "reason" in empty.text
    final = client.post(url, json={**GRANT, "stage": "final"}, headers=bearer(cup.organizer))
    assert final.status_code == 409 and _left(client, cup) == {"evaluation": 5}

    client.cookies.clear()
    csrf = sign_in(client, cup.organizer)
    assert 'action="/admin/grants"' in client.get("/admin", headers=HTML).text
    unsigned = {"team": "Quick Lex", **GRANT}
    assert client.post("/admin/grants", data=unsigned, follow_redirects=False).status_code == 403
    sent = client.post("/admin/grants", data={"csrf": csrf, **unsigned, "count": "1"},
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == "/teams/Quick%20Lex#trail"
    assert _left(client, cup) == {"evaluation": 6}
    page = client.get("/teams/Quick Lex", headers=HTML).text
    assert page.count("the runner crashed") == 2


def test_an_upload_records_who_sent_it(cup: Cup, client: TestClient) -> None:
    for token, data in ((cup.organizer, {"team": "Quick Lex"}), (cup.lex, {})):
        r = client.post("/api/submissions", headers=bearer(token), data=data,
                        files={"file": ("s.zip", cup.archive)})  # fmt: skip
        assert r.status_code == 201, r.text
    subs = client.get("/api/submissions", headers=bearer(cup.lex)).json()
    assert [s["member"] for s in subs] == ["organizer", None]  # a team token without a name
