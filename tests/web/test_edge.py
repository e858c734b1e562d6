"""The web edge, on both stores: characters the store cannot hold are refused before it sees
them, sessions end when their user signs out or loses the token, CSV cells never run as
formulas, worker tokens reach the worker routes only, the final says why it cannot run, and
the server closes connections slow to send their headers. Every hostile case ends with an
honest request still served."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from podium.web import session
from podium.web.bounds import Bounds
from podium.web.cells import inert_cell
from podium.web.serving import server_config

from ..conftest import count_rows
from ..patience import HANG
from .conftest import Cup, _Server, bearer
from .test_csrf import HTML, sign_in
from .test_intake import honest_upload_is_scored

NUL_READS = [
    "/api/leaderboard?stage=%00",
    "/api/leaderboard.csv?stage=evaluation%00",
    "/api/charts?stage=%00",
    "/leaderboard?stage=%00",
    "/api/huddle?since=%007d",
    "/teams/Quick%00Lex",
    "/api/teams/Quick%00Lex",
    "/api/submissions/1?x=%00",
]


def test_nul_and_lone_surrogates_are_refused_before_the_store(cup: Cup, client: TestClient) -> None:
    for url in NUL_READS:
        for headers in ({}, bearer(cup.organizer), bearer(cup.lex), HTML):
            r = client.get(url, headers=headers)
            assert r.status_code == 400, (url, r.status_code, r.text)
            assert "cannot be stored" in r.json()["error"]
    organizer = bearer(cup.organizer)
    assert client.post("/api/stages/x%00/open", headers=organizer).status_code == 400
    assert client.post("/api/stages/evaluation%00/close", headers=organizer).status_code == 400
    for text in ('"a\\u0000b"', '"a\\ud800b"', '"\\udfff"'):
        body = f'{{"title": {text}, "body": "hello"}}'
        r = client.post("/api/questions", headers={**bearer(cup.lex), "content-type":
                        "application/json"}, content=body)  # fmt: skip
        assert r.status_code == 400, (text, r.text)
        key = f'{{"title": "t", "body": "b", {text}: 1}}'  # keys too
        r = client.post("/api/questions", headers={**bearer(cup.lex), "content-type":
                        "application/json"}, content=key)  # fmt: skip
        assert r.status_code == 400, (key, r.text)
    podium = cup.podium()
    try:
        worker = bearer(podium.tokens.create("worker", label="gpu-01"))
    finally:
        podium.close()
    bare = b'{"hardware": "gpu\\u0000", "fingerprint": {}}'  # no Content-Type at all
    r = client.post("/api/worker/hello", headers=worker, content=bare)
    assert r.status_code == 400, r.text
    r = client.post("/signin", data={"token": "a\x00b", "csrf": "0" * 40}, follow_redirects=False)
    assert r.status_code == 400
    r = client.post(
        "/api/submissions",
        headers=organizer,
        data={"team": "Quick\x00Lex"},
        files={"file": ("s.zip", cup.archive)},
    )
    assert r.status_code == 400 and "field 'team' holds a NUL" in r.json()["error"], r.text
    assert count_rows(cup.root, "submissions") == 0 and count_rows(cup.root, "questions") == 0
    r = client.post("/api/questions", headers=bearer(cup.lex), json={"title": "ok", "body": "é"})
    assert r.status_code == 201, r.text
    honest_upload_is_scored(cup, client)


def test_signing_out_revoking_or_removing_the_member_ends_the_session(
    cup: Cup, client: TestClient
) -> None:
    def signed_in(cookie: str) -> bool:
        other = TestClient(client.app)  # another browser holding the cookie (no lifespan)
        other.cookies.set(session.COOKIE_NAME, cookie)
        me: bool = other.get("/api/me").json()["signed_in"]
        return me

    csrf = sign_in(client, cup.lex)
    kept = client.cookies[session.COOKIE_NAME]  # a copy, as a thief or a second tab has it
    assert signed_in(kept) and cup.lex not in kept
    r = client.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert not signed_in(kept)
    assert client.get("/teams/Quick Lex", headers=HTML, follow_redirects=False).status_code == 303

    podium = cup.podium()
    try:
        alan = podium.tokens.create("team", team="Quick Lex", member="Alan")
        sign_in(client, alan)
        by_alan = client.cookies[session.COOKIE_NAME]
        client.cookies.clear()  # another browser
        sign_in(client, cup.deep)
        by_deep = client.cookies[session.COOKIE_NAME]
        assert signed_in(by_alan) and signed_in(by_deep)
        podium.setup.remove_member("Quick Lex", "Alan")
        assert not signed_in(by_alan) and signed_in(by_deep)
        deep_id = next(t.id for t in podium.tokens.find() if t.team == "Deep Percept")
        podium.tokens.revoke(deep_id)
        assert not signed_in(by_deep)
        assert count_rows(cup.root, "web_sessions") == 0  # nothing left that could come back
    finally:
        podium.close()
    client.cookies.clear()
    sign_in(client, cup.lex)  # the team's own token still signs in
    assert client.get("/api/me").json()["team"] == "Quick Lex"


def test_csv_cells_that_start_a_formula_are_neutralised(cup: Cup, client: TestClient) -> None:
    podium = cup.podium()
    try:
        for name in ("=1+1", "@SUM(A1:A9)", "-2+3", "+cmd|' -C calc'!A0"):
            podium.setup.add_team(name, ["Eve"])
    finally:
        podium.close()
    for name in ("=1+1", "@SUM(A1:A9)", "-2+3", "+cmd|' -C calc'!A0"):
        r = client.post("/api/submissions", headers=bearer(cup.organizer), data={"team": name},
                        files={"file": ("s.zip", cup.archive)})  # fmt: skip
        assert r.status_code == 201, r.text
    honest_upload_is_scored(cup, client)  # scores every queued submission
    r = client.get("/api/leaderboard.csv?stage=evaluation", headers=bearer(cup.organizer))
    rows = list(csv.DictReader(io.StringIO(r.text)))
    teams = {row["team"] for row in rows}
    assert teams == {"'=1+1", "'@SUM(A1:A9)", "'-2+3", "'+cmd|' -C calc'!A0", "Quick Lex"}
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
    assert json.loads(client.get("/api/leaderboard").text)["rows"]  # the JSON keeps the names
    assert {row["team"] for row in client.get("/api/leaderboard").json()["rows"]} >= {"=1+1"}


def test_cells_are_neutralised_by_their_first_character() -> None:
    for cell in ("=HYPERLINK(x)", "+1+1", "-1+1", "@A1", "\tx", "\rx", "-", "=", "+-1"):
        assert inert_cell(cell) == "'" + cell
    for cell in ("-0.5", "+2", "-3", "1.5e-3", "Quick Lex", "", "a=b", 7, -2, None):
        assert inert_cell(cell) == cell


def test_a_worker_token_reaches_the_worker_routes_only(cup: Cup, client: TestClient) -> None:
    podium = cup.podium()
    try:
        worker = bearer(podium.tokens.create("worker", label="gpu-01"))
    finally:
        podium.close()
    for url in ("/api/teams", "/api/hall-of-fame", "/api/stages", "/api/leaderboard",
                "/api/leaderboard.csv", "/api/charts", "/api/huddle", "/api/me",
                "/api/questions", "/leaderboard", "/hall-of-fame", "/static/charts.js",
                "/openapi.json"):  # fmt: skip
        r = client.get(url, headers=worker)
        assert r.status_code == 403, (url, r.status_code)
    assert client.post("/api/final/run", headers=worker).status_code == 403
    r = client.post("/api/worker/hello", headers=worker, json={"hardware": "local",
                    "fingerprint": {"cpu": "x"}})  # fmt: skip
    assert r.status_code == 200, r.text
    r = client.get("/api/worker/inputs/eval", headers=worker)  # it holds no run of that split
    assert r.status_code == 403 and "only to a worker running" in r.json()["error"], r.text
    assert client.get("/api/teams").status_code == 200  # anonymous readers are unchanged
    assert client.get("/api/teams", headers=bearer("pdm_unknown")).status_code == 401


def test_the_final_says_why_it_cannot_run(cup: Cup, client: TestClient) -> None:
    organizer = bearer(cup.organizer)
    r = client.post("/api/final/run", headers=organizer)
    assert r.status_code == 409 and "'evaluation' is still open" in r.json()["error"]
    assert client.post("/api/stages/evaluation/close", headers=organizer).status_code == 200
    r = client.post("/api/final/run", headers=organizer)
    assert r.status_code == 409 and "no team has a scored submission" in r.json()["error"]
    r = client.post("/api/final/run", headers=bearer(cup.lex))
    assert r.status_code == 403
    r = client.post("/api/final/run", headers=organizer)  # still nothing started
    assert client.get("/api/stages").json()[-1]["status"] == "pending"


@pytest.fixture(params=["h11", "httptools"])
def bounded(cup: Cup, request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    """The real server with podium serve's bounds, a short header timeout, on each parser
    (httptools: the `fast` extra)."""
    from podium.web.app import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    bounds = Bounds(header_seconds=0.5, max_head_bytes=4096)
    app = create_app(cup.root, evaluate=False)
    config = server_config(app, "127.0.0.1", 0, bounds, parser=request.param)
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(HANG), "the server did not start"
        yield "127.0.0.1", listener.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(HANG)
        listener.close()


def _answer(conn: socket.socket) -> bytes:
    """One whole answer's bytes (head and a body of the length it says), or b"" if closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_connections_slow_to_send_their_headers_are_closed(
    cup: Cup, bounded: tuple[str, int]
) -> None:
    host, port = bounded
    silent = socket.create_connection(bounded, timeout=HANG)  # says nothing at all
    slow = socket.create_connection(bounded, timeout=HANG)  # a slowloris: half a head
    slow.sendall(b"GET /api/stages HTTP/1.1\r\nHost: x\r\n")
    kept = socket.create_connection(bounded, timeout=HANG)  # honest once, then slow
    kept.sendall(b"GET /api/stages HTTP/1.1\r\nHost: x\r\n\r\n")
    large = socket.create_connection(bounded, timeout=HANG)  # a head past max_head_bytes
    large.sendall(b"GET /api/stages HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 5000)
    with silent, slow, kept, large:
        assert silent.recv(1024) == b""  # closed by the server, without an answer
        assert slow.recv(1024) == b""
        assert b"200 OK" in _answer(kept)
        kept.sendall(b"GET /api/stages HTTP/1.1\r\n")  # the next head, never finished
        assert kept.recv(1024) == b""  # closed: the next head is not awaited forever
        assert _answer(large).startswith(b"HTTP/1.1 4")  # 400 on h11 and httptools alike
    with httpx.Client(base_url=f"http://{host}:{port}") as honest:
        for url in NUL_READS[:4]:  # parsed by this server's parser, refused all the same
            assert honest.get(url).status_code == 400, url
        assert honest.get("/api/stages").status_code == 200
        assert honest.get("/api/stages").status_code == 200  # kept alive, a second request
        honest_upload_is_scored(cup, honest)
