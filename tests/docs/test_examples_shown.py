"""The competition files a page quotes are the ones its commands use: every ```toml block of
docs/quarter.md is a passage of examples/competitions/quarter/competition.toml, word for word."""

from __future__ import annotations

from .pages import DOCS, blocks

EXAMPLE = DOCS.parent / "examples" / "competitions" / "quarter" / "competition.toml"


def test_the_quarter_page_quotes_its_competition_file() -> None:
    shown = [b for b in blocks((DOCS / "quarter.md").read_text())[0] if b.lang == "toml"]
    text = EXAMPLE.read_text()
    assert len(shown) == 2
    for block in shown:
        assert "\n".join(block.lines) in text, f"quarter.md:{block.line} is not in {EXAMPLE}"
