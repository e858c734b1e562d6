"""Two people of one team in Chromium against a live `podium serve`: each signs in as
themself, sees the same team page and who sent each submission; revoking one's token signs
that one out and leaves the other working; signing out ends the session for a copy of its
cookie too."""

from __future__ import annotations

from pathlib import Path

from ..patience import HANG_MS
from . import test_browser
from .conftest import Cup

server = test_browser.server  # the fixtures: `podium serve` in its own process, and Chromium
live = test_browser.live


def _person(cup: Cup, member: str) -> tuple[int, str]:
    podium = cup.podium()
    try:
        token = podium.tokens.create("team", team="Quick Lex", member=member)
        who = podium.tokens.authenticate(token)
        assert who is not None
        return who.token_id, token
    finally:
        podium.close()


def test_two_people_of_a_team_in_the_browser(live: tuple[str, Cup], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, cup = live
    archive = tmp_path / "constant.zip"
    archive.write_bytes(cup.archive)
    (alan_id, alan), (_, barbara) = _person(cup, "Alan"), _person(cup, "Barbara")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(test_browser.CHROMIUM),
                                    args=test_browser.FLAGS)  # fmt: skip
        pages = []
        for token in (alan, barbara):
            page = browser.new_context().new_page()
            page.goto(url + "/signin")
            page.fill("#token", token)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Quick Lex")
            pages.append(page)
        alan_page, barbara_page = pages
        expect(alan_page.locator(".who")).to_have_text("Alan · Quick Lex")
        expect(barbara_page.locator(".who")).to_have_text("Barbara · Quick Lex")
        alan_page.set_input_files("#file", str(archive))
        alan_page.click("form.upload button")
        expect(alan_page.locator("#flash")).to_contain_text("Submission #1 received")
        barbara_page.reload()
        row = barbara_page.locator("#submissions tbody tr").first
        expect(row.locator("td.member")).to_have_text("Alan")
        expect(row).to_have_class("status-scored", timeout=HANG_MS)
        podium = cup.podium()
        try:
            podium.tokens.revoke(alan_id)
        finally:
            podium.close()
        alan_page.reload()
        expect(alan_page).to_have_url(f"{url}/signin", timeout=HANG_MS)
        barbara_page.set_input_files("#file", str(archive))
        barbara_page.click("form.upload button")
        expect(barbara_page.locator("#flash")).to_contain_text("Submission #2 received")
        expect(barbara_page.locator("#submissions tbody tr td.member").first).to_have_text(
            "Barbara"
        )
        kept = barbara_page.context.cookies()  # a copy of the session cookie, as a thief has
        barbara_page.click("form[action='/signout'] button")
        expect(barbara_page.locator("a.button", has_text="Sign in")).to_be_visible()
        thief = browser.new_context()
        thief.add_cookies(kept)  # type: ignore[arg-type]
        stolen = thief.new_page()
        stolen.goto(url + "/teams/Quick%20Lex")
        expect(stolen).to_have_url(f"{url}/signin")  # signing out ended it in the store
        browser.close()
