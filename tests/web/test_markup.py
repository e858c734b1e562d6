"""People's Markdown as HTML: nothing in it can run, load or lead anywhere but the web and mail."""

from __future__ import annotations

import pytest

from podium.web.markup import render, safe_link

REL = 'rel="nofollow noopener noreferrer"'


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#x09;script:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](file:///etc/passwd)",
        "[x]: javascript:alert(1)\n\n[x]",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
    ],
)
def test_hostile_markdown_renders_as_harmless_text(hostile: str) -> None:
    html = render(hostile)
    assert "<script" not in html and "<img" not in html and "<a " not in html, html
    assert 'href="' not in html


def test_links_to_the_web_and_mail_are_kept_and_marked() -> None:
    html = render("[a](https://example.org/x?y=1) [m](mailto:ada@example.org) <http://b.example>")
    assert f'<a href="https://example.org/x?y=1" {REL}>a</a>' in html
    assert f'<a href="mailto:ada@example.org" {REL}>m</a>' in html
    assert f'<a href="http://b.example" {REL}>http://b.example</a>' in html


def test_an_image_is_a_link_to_it_never_loaded() -> None:
    html = render("![chart](https://example.org/c.png)")
    assert "<img" not in html and f'<a href="https://example.org/c.png" {REL}>chart</a>' in html


def test_markdown_itself_still_works() -> None:
    html = render("# Title\n\n**bold** `code` <b>raw</b>\n\n```\n<tag>\n```")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<code>code</code>" in html and "&lt;b&gt;raw&lt;/b&gt;" in html
    assert "&lt;tag&gt;" in html


def test_safe_link_allows_only_web_mail_and_relative() -> None:
    assert all(map(safe_link, ["https://a.b", "HTTP://a.b", "mailto:x@y", "/questions/1", "#a"]))
    assert not any(map(safe_link, ["ftp://a.b", "ssh://a", "java\nscript:x", "tel:123"]))
