"""The small tables of the terminal (tokens, teams, the fleet), built to stay readable at 80
columns: one line a row, long cells cut with an ellipsis, never crushed to a letter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from podium.service.tokens import TokenInfo


def narrow_table(title: str | None = None) -> Table:
    return Table(title=title, title_justify="left", pad_edge=False, collapse_padding=True)


def column(table: Table, name: str, *, right: bool = False, least: int = 0, most: int = 0) -> None:
    """One line a cell: cut with an ellipsis at `most` (or where the terminal ends), never
    narrower than `least` (or the heading)."""
    table.add_column(
        name,
        justify="right" if right else "left",
        no_wrap=True,
        overflow="ellipsis",
        min_width=max(least, len(name)),
        max_width=most or None,
    )


def clip(text: str, width: int) -> str:
    """A value in at most `width` characters, the cut marked."""
    return text if len(text) <= width else text[: width - 1] + "…"


def print_tokens(console: Console, rows: Sequence[TokenInfo]) -> None:
    table = narrow_table()
    column(table, "id", right=True)
    column(table, "role")
    column(table, "team", least=6, most=22)
    column(table, "member", least=6, most=18)
    column(table, "state")
    column(table, "label", least=5)
    for r in rows:
        state = "revoked" if r.revoked else "active"
        table.add_row(str(r.id), r.role, r.team or "-", r.member or "-", state, r.label or "-")
    console.print(table)


def print_teams(console: Console, teams: Sequence[dict[str, Any]]) -> None:
    """A team a line; members wrap onto more lines rather than being cut."""
    if not teams:
        console.print("no teams yet (podium team add NAME --member PERSON)")
        return
    table = narrow_table()
    column(table, "team", least=8, most=30)
    table.add_column("members", min_width=10, overflow="fold")
    for t in teams:
        table.add_row(t["team"], ", ".join(t["members"]) or "-")
    console.print(table)
