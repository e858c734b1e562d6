"""People's text (questions and answers) as HTML that cannot run: CommonMark with raw HTML
shown as text, links only to http(s) and mail addresses and marked `nofollow noopener`, and
images shown as links (a remote image would tell its host who reads the board)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"


def safe_link(url: str) -> bool:
    """Only http, https and mailto, and relative links within the site; markdown-it has
    already refused javascript:, vbscript:, file: and data: (its `validateLink`)."""
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_SCHEMES or (scheme == "" and ":" not in cleaned.split("/")[0])


def _link_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[idx].attrSet("rel", LINK_REL)
    rendered: str = renderer.renderToken(tokens, idx, options, env)
    return rendered


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")  # `![alt](url)` becomes `!` and a link to the image
    builtin = md.validateLink
    md.validateLink = lambda url: builtin(url) and safe_link(url)  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


def render(text: str) -> str:
    """Markdown to HTML that is safe to put in a page as is."""
    html: str = _parser().render(text)
    return html
