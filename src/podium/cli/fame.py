"""`podium hall-of-fame`: the winners as a table or JSON, or one winner's printable tile."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from podium.cli.options import (
    CompetitionOpt,
    JsonOpt,
    console,
    emit_json,
    fail,
    open_podium,
    shown,
    store_id,
)
from podium.core.errors import SpecError

if TYPE_CHECKING:
    from podium.report.tiles import Tile
    from podium.service import Podium

TileFormat = Literal["svg", "png"]


def hall_of_fame(
    competition: CompetitionOpt = Path("."),
    json_out: JsonOpt = False,
    tile: Annotated[
        int | None,
        typer.Option(
            help="write this entry's printable tile (its id in the table)",
            callback=store_id("hall-of-fame entry"),
        ),
    ] = None,
    fmt: Annotated[
        TileFormat | None,
        typer.Option("--format", help="svg or png (default: from -o's extension, else svg)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="the tile's file (default: a name in this folder)"),
    ] = None,
) -> None:
    """Winners of every competition kept in this store, newest stage first, then by place."""
    if tile is None and (fmt or out):
        fail(SpecError("--format and -o write a tile", hint="add --tile ID (the table's id)"))
    if tile is not None:
        from podium.report.tiles import tile_of

        with open_podium(competition, read_only=True) as podium:
            path = _write_tile(tile_of(podium.finals.hall_of_fame_entry(tile)), fmt, out)
            console().print(f"wrote {path}", markup=False, highlight=False)
        return

    def show(podium: "Podium") -> None:
        from podium.cli.render import print_hall_of_fame

        entries = podium.finals.hall_of_fame()
        if json_out:
            emit_json([e.to_dict() for e in entries])
        else:
            print_hall_of_fame(console(), entries)

    shown(competition, ["hall-of-fame", json_out], show)


def _write_tile(tile: "Tile", fmt: TileFormat | None, out: Path | None) -> Path:
    from podium.report.tiles import tile_filename, tile_png, tile_svg

    kind: TileFormat = fmt or ("png" if out is not None and out.suffix.lower() == ".png" else "svg")
    path = out or Path(tile_filename(tile, kind))
    svg = tile_svg(tile)
    try:
        path.write_bytes(tile_png(svg) if kind == "png" else svg.encode())
    except OSError as err:
        raise SpecError(f"cannot write the tile to {path}: {err.strerror}",
                        hint="-o a file in a folder you can write") from None  # fmt: skip
    return path
