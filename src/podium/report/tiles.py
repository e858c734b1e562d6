"""A hall-of-fame winner as a printable tile: an SVG built from the entry, and its PNG.

Every text in the SVG is escaped (team and member names are whatever people typed) and cut
to fit its line; the fonts named are DejaVu, which the PNG renderer finds among the system
fonts (Debian ships them under /usr/share/fonts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape

from podium.report.durations import figure
from podium.rules.fame import badge_class, ordinal

WIDTH, HEIGHT = 800, 500
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")
BADGE = {"gold": "#d4a017", "silver": "#a8acb3", "bronze": "#b87333", "plain": "#5b6b7f"}
# rough widths of DejaVu Sans at size 1 (average glyph), enough to keep a line inside the tile
_CHAR = 0.68
QUOTE = {'"': "&quot;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Tile:
    """What a tile shows: plain values, read from a hall-of-fame entry."""

    entry_id: int
    competition: str
    stage: str
    place: int
    team: str
    members: str
    score: float
    duration_seconds: float
    date: datetime


class Winner(Protocol):
    """What a tile needs of a hall-of-fame entry (the service's read model has it)."""

    @property
    def id(self) -> int: ...
    @property
    def competition_name(self) -> str: ...
    @property
    def stage_name(self) -> str: ...
    @property
    def place(self) -> int: ...
    @property
    def team_name(self) -> str: ...
    @property
    def members(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def recorded_at(self) -> datetime: ...


def tile_of(entry: Winner) -> Tile:
    """The tile of a hall-of-fame entry."""
    return Tile(entry.id, entry.competition_name, entry.stage_name, entry.place,
                entry.team_name, entry.members, entry.score, entry.duration_seconds,
                entry.recorded_at)  # fmt: skip


def fit(text: str, size: float, width: float = WIDTH - 80) -> str:
    """`text` on one line of `width` pixels at font `size`: cut with an ellipsis if longer;
    control characters (not allowed in XML) become spaces."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    room = max(1, int(width / (size * _CHAR)))
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def wrap(text: str, size: float, lines: int, width: float = WIDTH - 80) -> list[str]:
    """`text` over at most `lines` lines of `width` pixels, the last one cut to fit."""
    words = " ".join(_CONTROL.sub(" ", text).split()).split(" ")
    room = max(1, int(width / (size * _CHAR)))
    out: list[str] = []
    current = ""
    for i, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if len(candidate) <= room or not current:
            current = candidate
            continue
        if len(out) == lines - 1:
            return [*out, fit(" ".join([current, *words[i:]]), size, width)]
        out.append(fit(current, size, width))
        current = word
    return [*out, fit(current, size, width)] if current else out


def _text(x: float, y: float, size: float, value: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v, QUOTE)}"' for k, v in attrs.items())
    return f'<text x="{x:g}" y="{y:g}" font-size="{size:g}"{extra}>{escape(value)}</text>'


def tile_svg(tile: Tile) -> str:
    """The tile as a standalone SVG document (800 x 500, prints at any size)."""
    colour = BADGE[badge_class(tile.place)]
    team = wrap(tile.team, 44, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}">',
        f"<title>{escape(fit(f'{ordinal(tile.place)}: {tile.team}', 12, 2000))}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" rx="24" fill="#ffffff" stroke="{colour}" '
        'stroke-width="12"/>',
        f'<circle cx="{WIDTH - 110}" cy="110" r="70" fill="{colour}"/>',
        _text(WIDTH - 110, 128, 48, ordinal(tile.place), text_anchor="middle",
              font_weight="bold", fill="#ffffff"),
        _text(40, 70, 22, fit(tile.competition, 22, WIDTH - 260), fill="#5b6b7f"),
        _text(40, 104, 22, fit(f"stage {tile.stage}", 22, WIDTH - 260), fill="#5b6b7f"),
    ]  # fmt: skip
    for i, line in enumerate(team):
        parts.append(_text(40, 230 + 54 * i, 44, line, font_weight="bold", fill="#14213d"))
    y = 230 + 54 * len(team)
    for i, line in enumerate(wrap(tile.members, 24, 2)):
        parts.append(_text(40, y + 32 * i, 24, line, fill="#333333"))
    parts += [
        _text(40, 420, 22, "score", fill="#5b6b7f"),
        _text(40, 460, 36, f"{tile.score:.2f}", font_weight="bold", fill="#14213d"),
        _text(260, 420, 22, "duration", fill="#5b6b7f"),
        _text(260, 460, 36, figure(tile.duration_seconds, "s"), font_weight="bold",
              fill="#14213d"),
        _text(WIDTH - 40, 460, 24, f"{tile.date:%Y-%m-%d}", text_anchor="end", fill="#5b6b7f"),
        "</svg>",
    ]  # fmt: skip
    return "\n".join(parts) + "\n"


def tile_png(svg: str) -> bytes:
    """The SVG rendered at twice its size, with the system fonts (DejaVu) it names."""
    import resvg_py  # imported on use: only the PNG download needs it

    dirs = [d for d in FONT_DIRS if Path(d).is_dir()]
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=2.0, font_dirs=dirs or None))


def tile_filename(tile: Tile, extension: str) -> str:
    """A download name safe in any header and file system: `hall-of-fame-7-quick-lex.svg`."""
    slug = re.sub(r"[^a-z0-9]+", "-", tile.team.lower()).strip("-")[:40].strip("-") or "team"
    return f"hall-of-fame-{tile.entry_id}-{slug}.{extension}"
