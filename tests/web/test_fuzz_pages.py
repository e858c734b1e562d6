"""The pages are not in /openapi.json: Hypothesis sends them odd paths, queries and form
fields, as anonymous, a signed-in team and a signed-in organizer (with valid CSRF tokens,
so the requests get past the guard). No request may get a 5xx."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Cup
from .test_csrf import sign_in

ROUTES = [
    ("GET", "/teams/{}"),
    ("GET", "/leaderboard?stage={}&languages={}&screen={}"),
    ("GET", "/signin?error={}"),
    ("GET", "/submissions/{}/archive"),
    ("GET", "/runs/{}/log"),
    ("GET", "/teams/{}?submitted={}"),
    ("POST", "/signin"),
    ("POST", "/admin/stages/{}/{}"),
    ("POST", "/admin/final/{}"),
    ("POST", "/admin/runs/{}/retry"),
    ("POST", "/teams/{}/submit"),
]
values = st.one_of(
    st.sampled_from(["Quick Lex", "evaluation", "final", "1", "0", "-1", "2" * 30, "close"]),
    st.text(max_size=30),
)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    route=st.sampled_from(ROUTES),
    parts=st.lists(values, min_size=3, max_size=3),
    form=st.dictionaries(st.sampled_from(["token", "csrf", "team", "file"]), values, max_size=3),
    role=st.sampled_from(["anonymous", "team", "organizer"]),
)
def _fuzz(
    clients: dict[str, tuple[TestClient, str]],
    route: tuple[str, str],
    parts: list[str],
    form: dict[str, str],
    role: str,
) -> None:
    method, template = route
    client, csrf = clients[role]
    url = template.format(*(quote(p, safe="") for p in parts[: template.count("{}")]))
    if method == "GET":
        r = client.get(url, headers={"accept": "text/html"}, follow_redirects=False)
    else:
        data = {"csrf": csrf, **form} if csrf and "csrf" not in form else form
        r = client.post(url, data=data, headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code < 500, (role, method, url, form, r.text[:500])


def test_no_page_answers_5xx(cup: Cup, client: TestClient) -> None:
    from podium.web.app import create_app

    with (
        TestClient(create_app(cup.root, evaluate=False), headers=dict(client.headers)) as team,
        TestClient(create_app(cup.root, evaluate=False), headers=dict(client.headers)) as org,
    ):
        clients = {
            "anonymous": (client, ""),
            "team": (team, sign_in(team, cup.lex)),
            "organizer": (org, sign_in(org, cup.organizer)),
        }
        _fuzz(clients)


PARTS = [
    b"--b\r\n",
    b"--b--\r\n",
    b'Content-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\n',
    b'Content-Disposition: form-data; name="team"\r\n\r\n',
    b'Content-Disposition: form-data; name="csrf"\r\n\r\n',
    b"Content-Disposition: form-data; name*=UTF-8''%ff; filename*=x\r\n\r\n",
    b"Content-Type: application/zip\r\n",
    b"PK\x03\x04",
    b"\r\n",
    b"\xff\xfe\x00",
    b"Quick Lex",
]


@settings(max_examples=80, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(body=st.lists(st.sampled_from(PARTS) | st.binary(max_size=20), max_size=12).map(b"".join))
def _fuzz_upload(client: TestClient, token: str, body: bytes) -> None:
    r = client.post(
        "/api/submissions",
        content=body,
        headers={
            "Authorization": f"Bearer {token}",
            "content-type": "multipart/form-data; boundary=b",
        },
    )
    assert r.status_code < 500, (body, r.text[:500])


def test_odd_multipart_bodies_get_4xx(cup: Cup, client: TestClient) -> None:
    _fuzz_upload(client, cup.lex)
    incoming = cup.root / "artifacts" / "incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []
