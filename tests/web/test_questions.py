"""The question board over the real app: the API flow, pages and forms, anonymity in every
document, hostile text, CSRF, and who is refused what."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ..conftest import count_rows
from .conftest import Cup, bearer
from .test_csrf import HTML, sign_in

HOSTILE = (
    "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "![pic](https://example.org/p.png) [ok](https://example.org/rules)"
)


def _ask(client: TestClient, token: str, **question: Any) -> dict[str, Any]:
    r = client.post("/api/questions", json=question, headers=bearer(token))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_ask_answer_pin_close_then_an_answer_is_refused(cup: Cup, client: TestClient) -> None:
    asked = _ask(client, cup.lex, title="Which GPU?", body="Is it an *A100*?")
    assert asked["author"] == "team Quick Lex" and asked["url"] == f"/api/questions/{asked['id']}"
    assert asked["created_at"].endswith("+00:00")  # on SQLite too
    other = _ask(client, cup.deep, title="Deadline?", body="When?")
    url = asked["url"]
    r = client.post(url + "/answers", json={"body": "An L4."}, headers=bearer(cup.organizer))
    assert r.status_code == 201 and r.json()["author"] == "organizer"
    listed = client.get("/api/questions", headers=bearer(cup.deep)).json()
    assert [(q["id"], q["answers"]) for q in listed] == [(asked["id"], 1), (other["id"], 0)]
    for action in ("pin", "close"):  # a team moderates nothing
        r = client.post(f"/api/questions/{other['id']}/{action}", headers=bearer(cup.lex))
        assert r.status_code == 403 and "only organizers" in r.json()["error"]
    r = client.post(f"/api/questions/{other['id']}/pin", headers=bearer(cup.organizer))
    assert r.status_code == 200 and r.json()["pinned"]
    listed = client.get("/api/questions", headers=bearer(cup.lex)).json()
    assert [q["id"] for q in listed] == [other["id"], asked["id"]]
    assert client.post(url + "/close", headers=bearer(cup.organizer)).json()["closed"]
    r = client.post(url + "/answers", json={"body": "me too"}, headers=bearer(cup.deep))
    assert r.status_code == 409 and "is closed" in r.json()["error"]
    thread = client.get(url, headers=bearer(cup.deep)).json()
    assert thread["closed"] and [a["body"] for a in thread["thread"]] == ["An L4."]
    reopen = client.post(url + "/close", json={"closed": False}, headers=bearer(cup.organizer))
    assert reopen.json()["closed"] is False
    r = client.post(url + "/answers", json={"body": "me too"}, headers=bearer(cup.deep))
    assert r.status_code == 201


def test_nobody_unsigned_reads_or_writes_the_board(cup: Cup, client: TestClient) -> None:
    asked = _ask(client, cup.lex, title="t", body="b")
    for method, url in [("GET", "/api/questions"), ("POST", "/api/questions"),
                        ("GET", asked["url"]), ("POST", asked["url"] + "/answers"),
                        ("POST", asked["url"] + "/pin"), ("POST", asked["url"] + "/close")]:  # fmt: skip
        r = client.request(method, url, json={"title": "t", "body": "b"})
        assert r.status_code == 401, (method, url, r.text)
    for page in ("/questions", f"/questions/{asked['id']}"):
        r = client.get(page, headers=HTML, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/signin")
    r = client.post("/questions", data={"title": "t", "body": "b"}, headers=HTML)
    assert r.status_code == 401
    assert count_rows(cup.root, "questions") == 1


def test_an_anonymous_question_shows_no_team_on_any_page_or_document(
    cup: Cup, client: TestClient
) -> None:
    asked = _ask(client, cup.lex, title="Allowed?", body="Asking for a friend", anonymous=True)
    assert asked["author"] == "a team" and "Quick Lex" not in str(asked)
    client.post(asked["url"] + "/pin", headers=bearer(cup.organizer))
    for token in (cup.deep, cup.organizer):
        documents = [client.get(u, headers=bearer(token)).text
                     for u in ("/api/questions", asked["url"])]  # fmt: skip
        sign_in(client, token)
        documents += [client.get(u, headers=HTML).text
                      for u in ("/questions", f"/questions/{asked['id']}")]  # fmt: skip
        client.cookies.clear()
        for text in documents:
            assert "Allowed?" in text and "a team" in text and "Quick Lex" not in text
    r = client.post(
        "/api/questions",
        json={"title": "t", "body": "b", "anonymous": True},
        headers=bearer(cup.organizer),
    )
    assert r.status_code == 403 and "only a team" in r.json()["error"]


def test_hostile_text_is_inert_on_the_page(cup: Cup, client: TestClient) -> None:
    asked = _ask(client, cup.lex, title="<b>bold</b><script>x()</script>", body=HOSTILE)
    assert client.get(asked["url"], headers=bearer(cup.lex)).json()["body"] == HOSTILE
    sign_in(client, cup.deep)
    for url in ("/questions", f"/questions/{asked['id']}"):
        html = client.get(url, headers=HTML).text
        assert "<script>x()" not in html and "<b>bold" not in html and "&lt;b&gt;bold" in html
    html = client.get(f"/questions/{asked['id']}", headers=HTML).text
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "javascript:" not in html.replace("(javascript:alert(1))", "")
    assert 'href="javascript' not in html.lower()
    assert '<a href="https://example.org/rules" rel="nofollow noopener noreferrer">ok</a>' in html
    assert '<a href="https://example.org/p.png" rel="nofollow noopener noreferrer">pic</a>' in html


def test_a_huge_body_is_refused_with_the_limit_and_nothing_is_stored(
    cup: Cup, client: TestClient
) -> None:
    r = client.post(
        "/api/questions", json={"title": "t", "body": "y" * 20_000}, headers=bearer(cup.lex)
    )
    assert r.status_code == 422
    assert "the text is 20,000 characters long; the limit is 10,000" in r.json()["error"]
    r = client.post("/api/questions", json={"title": " ", "body": "b"}, headers=bearer(cup.lex))
    assert r.status_code == 422 and "the title is empty" in r.json()["error"]
    r = client.post(
        "/api/questions", json={"title": "t", "body": "b", "x": 1}, headers=bearer(cup.lex)
    )
    assert r.status_code == 422 and "x" in r.json()["error"]
    csrf = sign_in(client, cup.lex)
    form = {"csrf": csrf, "title": "Kept title", "body": "z" * 10_001}
    page = client.post("/questions", data=form, headers=HTML)
    assert page.status_code == 422 and "the limit is 10,000" in page.text
    assert 'value="Kept title"' in page.text  # what was typed is not lost
    too_big = client.post("/questions", data={**form, "body": "z" * 100_000}, headers=HTML)
    assert too_big.status_code == 413
    assert count_rows(cup.root, "questions") == 0


def test_forms_ask_answer_and_moderate_with_their_csrf_token(cup: Cup, client: TestClient) -> None:
    csrf = sign_in(client, cup.lex)
    refused = client.post("/questions", data={"title": "t", "body": "no token"}, headers=HTML)
    assert refused.status_code == 403 and "CSRF" in refused.text
    forged = {"title": "t", "body": "b", "csrf": "0" * 40}
    assert client.post("/questions", data=forged, headers=HTML).status_code == 403
    assert count_rows(cup.root, "questions") == 0
    r = client.post(
        "/questions",
        data={"csrf": csrf, "title": "Via the form", "body": "hello", "anonymous": "true"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    thread = r.headers["location"]
    page = client.get(thread, headers=HTML).text
    assert "Via the form" in page and "a team" in page and 'id="moderate"' not in page
    r = client.post(thread + "/answers", data={"csrf": csrf, "body": "   "}, headers=HTML)
    assert r.status_code == 422 and "the answer is empty" in r.text
    assert client.post(thread + "/pin", data={"csrf": csrf}, headers=HTML).status_code == 403
    client.cookies.clear()
    csrf = sign_in(client, cup.organizer)
    assert 'id="moderate"' in client.get(thread, headers=HTML).text
    r = client.post(thread + "/answers", data={"csrf": csrf, "body": "**yes**"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith(thread + "#answer-")
    for action, field in (("pin", "pinned"), ("close", "closed")):
        r = client.post(f"{thread}/{action}", data={"csrf": csrf, field: "true"},
                        follow_redirects=False)  # fmt: skip
        assert r.status_code == 303
    page = client.get(thread, headers=HTML).text
    assert "<strong>yes</strong>" in page and 'id="closed-note"' in page and "Reopen" in page
    assert 'id="answer"' not in page
    r = client.post(thread + "/answers", data={"csrf": csrf, "body": "late"}, headers=HTML)
    assert r.status_code == 409 and "is closed" in r.text
    assert count_rows(cup.root, "answers") == 1


def test_unknown_questions_are_404_everywhere(cup: Cup, client: TestClient) -> None:
    requests: list[tuple[str, str, Any]] = [
        ("GET", "/api/questions/999", None), ("POST", "/api/questions/999/answers", {"body": "b"}),
        ("POST", "/api/questions/999/pin", None), ("POST", "/api/questions/999/close", None),
    ]  # fmt: skip
    for method, url, body in requests:
        r = client.request(method, url, json=body, headers=bearer(cup.organizer))
        assert r.status_code == 404 and "no question 999" in r.json()["error"]
    r = client.get(f"/api/questions/{2**63}", headers=bearer(cup.lex))
    assert r.status_code == 422
    sign_in(client, cup.lex)
    page = client.get("/questions/999", headers=HTML)
    assert page.status_code == 404 and "no question 999" in page.text


def test_every_page_links_to_the_board(cup: Cup, client: TestClient) -> None:
    assert 'href="/questions"' in client.get("/leaderboard", headers=HTML).text
    sign_in(client, cup.lex)
    assert "No questions yet" in client.get("/questions", headers=HTML).text
