"""Failed sign-ins and unknown bearer tokens are limited per client: 429 with Retry-After,
for right and wrong tokens alike until the window passes; other clients are unaffected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from podium.web import session
from podium.web.limits import FAILURES_ALLOWED, WINDOW_SECONDS

from .conftest import ORIGIN, Cup, bearer


class Clock:
    """The limiter's time, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@contextmanager
def _client(cup: Cup, clock: Clock, address: str) -> Iterator[TestClient]:
    from podium.web.app import create_app

    app = create_app(cup.root, evaluate=False, clock=clock)
    with TestClient(app, client=(address, 40000), headers={"Origin": ORIGIN}) as client:
        yield client


@pytest.fixture
def guesser(cup: Cup, clock: Clock) -> Iterator[TestClient]:
    with _client(cup, clock, "192.0.2.66") as client:
        yield client


def test_unknown_bearer_tokens_are_limited_per_client(
    cup: Cup, clock: Clock, guesser: TestClient
) -> None:
    for i in range(FAILURES_ALLOWED):
        r = guesser.get("/api/me", headers=bearer(f"pdm_guess{i}"))
        assert r.status_code == 401
    blocked = guesser.get("/api/me", headers=bearer("pdm_guess-more"))
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "60"
    assert "too many failed sign-ins" in blocked.json()["error"]
    # while blocked, a right token is refused too: the block says nothing about guesses
    assert guesser.get("/api/me", headers=bearer(cup.lex)).status_code == 429
    clock.now += 45
    r = guesser.get("/api/me", headers=bearer(cup.lex))
    assert r.status_code == 429 and r.headers["Retry-After"] == "15"
    # another client is not affected by this one
    with _client(cup, clock, "192.0.2.7") as other:
        assert other.get("/api/me", headers=bearer(cup.lex)).json()["team"] == "Quick Lex"
    clock.now += 15
    assert guesser.get("/api/me", headers=bearer(cup.lex)).json()["team"] == "Quick Lex"
    # anonymous requests and sessions never count
    for _ in range(3 * FAILURES_ALLOWED):
        assert guesser.get("/api/leaderboard").status_code == 200


def _sign_in(client: TestClient, token: str) -> tuple[int, str, dict[str, str]]:
    form = client.get("/signin", headers={"accept": "text/html"}).text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form)
    assert csrf
    r = client.post(
        "/signin",
        data={"token": token, "csrf": csrf[1]},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    return r.status_code, r.headers.get("location", ""), dict(r.headers)


def test_failed_sign_ins_are_limited_per_client(
    cup: Cup, clock: Clock, guesser: TestClient
) -> None:
    for i in range(FAILURES_ALLOWED):
        assert _sign_in(guesser, f"pdm_wrong{i}")[1] == "/signin?error=unknown"
    status, _, headers = _sign_in(guesser, cup.lex)  # the right token, while blocked
    assert status == 429 and int(headers["retry-after"]) == int(WINDOW_SECONDS)
    assert session.COOKIE_NAME not in guesser.cookies
    clock.now += WINDOW_SECONDS
    assert _sign_in(guesser, cup.lex)[1] == "/teams/Quick%20Lex"
    assert session.COOKIE_NAME in guesser.cookies
