"""Every allowed team name survives every URL: links in the pages, redirects, the upload
form and the API, for the team itself and for organizers."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from fastapi.testclient import TestClient

from podium.service import Podium

from .conftest import Cup, bearer
from .test_csrf import sign_in
from .test_intake import honest_upload_is_scored

HTML = {"accept": "text/html"}
NAMES = [
    "Q&A #1?",
    "100% \"quoted\" 'team'",
    "Équipe café 名前",
    "a+b=c;d,e",
    "back\\slash <b>",
    "x" * 60,
]


def _links(page: str, attribute: str = "href") -> list[str]:
    """Every same-site URL a page links to (or, `action`, posts to), as a browser sends it."""
    return [html.unescape(u) for u in re.findall(attribute + r'="(/[^"]*)"', page)]


def _make_teams(cup: Cup) -> dict[str, str]:
    podium = Podium.open(cup.root)
    try:
        tokens = {}
        for name in NAMES:
            podium.setup.add_team(name, [f"member of {name[:40]}"])
            tokens[name] = podium.tokens.create("team", team=name)
        return tokens
    finally:
        podium.close()


def test_every_allowed_name_round_trips_through_every_url(cup: Cup, client: TestClient) -> None:
    tokens = _make_teams(cup)
    for name, token in tokens.items():
        client.cookies.clear()
        sign_in(client, token)
        home = client.get("/teams/" + quote(name, safe=""), headers=HTML)
        heading = re.search(r"<h1>(.*?)</h1>", home.text)
        assert home.status_code == 200 and heading and html.unescape(heading[1]) == name
        links = _links(home.text) + _links(client.get("/leaderboard", headers=HTML).text)
        action = next(u for u in _links(home.text, "action") if u.endswith("/submit"))
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', home.text)
        assert csrf
        r = client.post(
            action,
            data={"csrf": csrf[1]},
            files={"file": ("a.zip", cup.archive)},
            follow_redirects=False,
        )
        assert r.status_code == 303, (name, r.text)
        landed = client.get(r.headers["location"], headers=HTML)
        assert landed.status_code == 200 and "received" in landed.text
        for url in set(links):
            assert client.get(url, headers=HTML).status_code == 200, (name, url)
        api = client.get("/api/teams/" + quote(name, safe=""), headers=bearer(token))
        assert api.status_code == 200 and api.json()["team"] == name


def test_organizers_reach_every_team_by_its_links(cup: Cup, client: TestClient) -> None:
    _make_teams(cup)
    sign_in(client, cup.organizer)
    admin = client.get("/admin", headers=HTML)
    team_links = [u for u in _links(admin.text) if u.startswith("/teams/")]
    assert len(team_links) == len(NAMES) + 2
    for url in team_links:
        page = client.get(url, headers=HTML)
        assert page.status_code == 200, url
    for name in NAMES:
        assert client.get("/api/teams/" + quote(name, safe="")).json()["team"] == name
        r = client.post(
            "/api/submissions",
            headers=bearer(cup.organizer),
            data={"team": name},
            files={"file": ("a.zip", cup.archive)},
        )
        assert r.status_code == 201 and r.json()["team"] == name
        download = client.get(f"/api/submissions/{r.json()['submission_id']}/archive")
        assert download.status_code == 200 and download.content == cup.archive
        assert download.headers["content-disposition"].startswith("attachment; filename")
    honest_upload_is_scored(cup, client)
    board = client.get("/leaderboard", headers=HTML).text
    for url in _links(board):
        assert client.get(url, headers=HTML).status_code == 200, url
