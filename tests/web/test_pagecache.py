"""The leaderboard page kept whole per board revision (`web/pagecache.py`): an anonymous
visitor gets the rendered page's bytes with this response's own CSP nonce; a scored run shows
on the very next request; a signed-in person, a bearer token or a query the page does not
take never gets a kept page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from podium.web.pagecache import PageCache

from .conftest import Cup, bearer

_NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def _kept(client: TestClient) -> PageCache:
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


def _page(client: TestClient, url: str = "/leaderboard", **kw: object) -> tuple[str, str]:
    """The page with its nonce replaced, and the nonce (the CSP header's, also in the page)."""
    response = client.get(url, **kw)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text[:300]
    found = _NONCE.search(response.headers["content-security-policy"])
    assert found is not None
    nonce = found.group(1)
    assert "nonce=" not in response.text.replace(f'nonce="{nonce}"', "")
    assert int(response.headers["content-length"]) == len(response.content)
    return response.text.replace(nonce, "NONCE"), nonce


def test_a_kept_page_is_the_rendered_one_with_its_own_nonce(client: TestClient, cup: Cup) -> None:
    first, one = _page(client)
    assert len(_kept(client).kept) == 1
    again, two = _page(client)
    assert again == first and one != two
    assert _page(client, "/leaderboard?stage=final&languages=true")[0] != first
    assert len(_kept(client).kept) == 2

    podium = cup.podium()
    try:
        podium.submissions.submit_data(cup.archive, team="Quick Lex", label="a.zip", where="a")
        [outcome] = podium.evaluation.evaluate_pending()
        assert outcome.status == "scored", outcome.error
    finally:
        podium.close()
    scored, _ = _page(client)
    assert scored != first and "Quick Lex" in scored
    assert _page(client)[0] == scored


def test_nobody_but_an_anonymous_visitor_gets_a_kept_page(client: TestClient, cup: Cup) -> None:
    _page(client)
    kept = _kept(client)
    for hostile in ("/leaderboard?stage=evaluation&stage=final", "/leaderboard?junk=1",
                    "/leaderboard?" + "&".join(f"x{i}=1" for i in range(50))):  # fmt: skip
        client.get(hostile)
    assert len(kept.kept) == 1  # none of them kept
    signed_in = client.get("/leaderboard", headers=bearer(cup.lex))
    assert signed_in.status_code == 200 and "Sign out" in signed_in.text
    assert "Sign out" not in _page(client)[0]
    assert len(kept.kept) == 1
