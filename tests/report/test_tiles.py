"""A winner's printable tile: its SVG (escaped, fitted) and the PNG rendered from it."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from podium.report.tiles import HEIGHT, WIDTH, Tile, fit, tile_filename, tile_png, tile_svg, wrap

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("pwned")</script> & "Robert"); DROP TABLE teams;--'


def _tile(team: str = "Quick Lex", members: str = "Alan, Barbara", place: int = 1) -> Tile:
    return Tile(7, "XTREME four-task challenge", "final", place, team, members, 81.234, 1.2345,
                datetime(2026, 11, 30, 9, tzinfo=UTC))  # fmt: skip


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_tile_says_who_won_what_and_with_which_numbers() -> None:
    svg = tile_svg(_tile())
    texts = _texts(svg)
    for expected in ("1st", "Quick Lex", "Alan, Barbara", "81.23", "1.23 s", "2026-11-30",
                     "XTREME four-task challenge", "stage final"):  # fmt: skip
        assert expected in texts
    assert 'font-family="DejaVu Sans' in svg
    assert "🥇" not in svg and all(ord(c) < 0x2000 or c == "…" for c in svg)


def test_user_typed_names_are_escaped_and_never_markup() -> None:
    svg = tile_svg(_tile(team=HOSTILE, members='<img src=x onerror="alert(1)">\x00\x1b'))
    root = ET.fromstring(svg)  # still well-formed XML (control characters dropped)
    assert "<script" not in svg and "<img" not in svg
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}image"))
    shown = " ".join(_texts(svg))
    assert "<script>alert(" in shown and "<img src=x" in shown  # shown as text


def test_long_names_are_wrapped_and_shortened_to_fit() -> None:
    long = "The Extraordinarily Long Named Team Of Multilingual Sequence Labelling Enthusiasts"
    lines = wrap(long, 44, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(len(line) * 44 * 0.68 <= WIDTH - 80 for line in lines)
    assert fit("x" * 500, 24).endswith("…") and len(fit("x" * 500, 24)) < 60
    assert wrap("Supercalifragilisticexpialidocious" * 3, 44, 2)[0].endswith("…")
    svg = tile_svg(_tile(team=long, members=", ".join(f"Member {i}" for i in range(40))))
    assert len(_texts(svg)) <= 14


def test_the_png_is_rendered_from_the_svg_at_twice_its_size() -> None:
    png = tile_png(tile_svg(_tile(place=3)))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2 * WIDTH, 2 * HEIGHT)
    assert len(png) > 20_000  # text was drawn (an empty card compresses to a few kB)


def test_download_names_are_safe() -> None:
    assert tile_filename(_tile(team=HOSTILE), "svg") == (
        "hall-of-fame-7-script-alert-pwned-script-robert-drop-ta.svg"
    )
    assert tile_filename(_tile(team="../../"), "png") == "hall-of-fame-7-team.png"
    assert tile_filename(_tile(team="Équipe Ünïcode"), "png") == "hall-of-fame-7-quipe-n-code.png"
