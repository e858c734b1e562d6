"""The question board in Debian's Chromium against a live server: a team asks (hostile text
included), the organizer answers, pins and closes, an anonymous asker stays "a team"; nothing
the text carries runs, under the Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Cup
from .test_browser import CHROMIUM, FLAGS, _shots, _watch

HOSTILE_BODY = (
    "<script>window.pwned = 1</script>\n\n"
    '<img src=x onerror="window.pwned = 2">\n\n'
    "[click me](javascript:window.pwned=3) and [rules](https://example.org/rules)\n\n"
    "![pic](https://example.org/p.png) **bold**"
)


def _sign_in(browser: Any, url: str, token: str, dialogs: list[str], refused: list[str]) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _watch(page, refused)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/signin")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _inert(page: Any) -> None:
    """Nothing the text carried became a script, an image or a javascript: link, or ran."""
    assert page.evaluate("window.pwned") is None
    assert page.locator("main script, main img, main [onerror]").count() == 0
    assert page.locator("a[href^='javascript' i]").count() == 0
    for rel in page.locator(".prose a").evaluate_all("as => as.map(a => a.rel)"):
        assert "nofollow" in rel and "noopener" in rel


def test_ask_answer_pin_close_in_the_browser(live: str, cup: Cup, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import expect, sync_playwright

    dialogs: list[str] = []
    refused: list[str] = []
    shots = _shots(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        team = _sign_in(browser, live, cup.lex, dialogs, refused)
        team.click("nav a[href='/questions']")
        expect(team.locator("h1")).to_have_text("Questions")
        team.fill("#title", "<script>window.pwned = 4</script> Which GPU?")
        team.fill("#body", HOSTILE_BODY)
        team.click("#ask button[type=submit]")
        expect(team.locator("#question-title")).to_have_text(
            "<script>window.pwned = 4</script> Which GPU?"
        )
        expect(team.locator("#question-body strong")).to_have_text("bold")
        expect(team.locator("#question-body")).to_contain_text("<script>window.pwned = 1</script>")
        _inert(team)
        question_url = team.url

        other = _sign_in(browser, live, cup.deep, dialogs, refused)
        other.goto(live + "/questions")
        other.fill("#title", "May we use extra data?")
        other.fill("#body", "Asking for a friend.")
        other.check("input[name=anonymous]")
        other.click("#ask button[type=submit]")
        expect(other.locator(".question .author")).to_have_text("a team")

        org = _sign_in(browser, live, cup.organizer, dialogs, refused)
        org.goto(live + "/questions")
        expect(org.locator("#questions tbody tr")).to_have_count(2)
        assert "Deep Percept" not in org.content()
        org.goto(question_url)
        org.fill("#body", "An **L4**; see [the rules](https://example.org/rules).")
        org.click("#answer button[type=submit]")
        expect(org.locator("article.answer")).to_have_count(1)
        expect(org.locator("article.answer strong")).to_have_text("L4")
        org.click("#pin")
        expect(org.locator("#pin")).to_have_text("Unpin")
        org.click("#close")
        expect(org.locator("#close")).to_have_text("Reopen")
        expect(org.locator("#closed-note")).to_be_visible()
        _inert(org)
        org.screenshot(path=str(shots / "question-closed.png"), full_page=True)

        team.goto(live + "/questions")
        first = team.locator("#questions tbody tr").first
        expect(first).to_have_class("pinned closed")
        expect(first.locator(".author")).to_have_text("team Quick Lex")
        expect(team.locator("#questions tbody tr").nth(1).locator(".author")).to_have_text("a team")
        assert "Deep Percept" not in team.content()
        _inert(team)
        team.goto(question_url)
        assert team.locator("#answer").count() == 0
        answer = team.evaluate(
            """url => fetch(url + '/answers', {method: 'POST',
                 headers: {'Content-Type': 'application/json', 'X-CSRF-Token':
                   document.querySelector('meta[name=csrf-token]').content},
                 body: JSON.stringify({body: 'one more'})})
               .then(async r => [r.status, (await r.json()).error])""",
            question_url.replace("/questions/", "/api/questions/"),
        )
        assert answer[0] == 409 and "is closed" in answer[1]
        team.screenshot(path=str(shots / "questions-team.png"), full_page=True)
        browser.close()
    assert dialogs == [] and refused == []
