"""`podium questions`: the competition's question board at a terminal (80 columns suffice)."""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podium.cli.inert import inert
from podium.cli.options import CompetitionOpt, JsonOpt, console, emit_json, shown

if TYPE_CHECKING:
    from rich.console import Console

    from podium.service import Podium
    from podium.service.questions import QuestionInfo

HEADERS = ("#", "title", "by", "ans", "state", "active")
AUTHOR = 16  # characters of an asker's name
GAP = 2  # between columns


def questions(competition: CompetitionOpt = Path("."), json_out: JsonOpt = False) -> None:
    """The question board: pinned first, then the most recently active (answer on the website
    or with POST /api/questions/ID/answers)."""

    def show(podium: "Podium") -> None:
        board = podium.questions.board()
        if json_out:
            emit_json([q.to_dict() for q in board])
        else:
            print_questions(console(), board)

    shown(competition, ["questions", json_out], show)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _row(q: "QuestionInfo") -> list[str]:
    state = " ".join(word for word, on in (("pinned", q.pinned), ("closed", q.closed)) if on)
    return [str(q.id), q.title, _cut(q.author, AUTHOR), str(q.answers), state,
            q.active_at.strftime("%m-%d %H:%M")]  # fmt: skip


def print_questions(out: "Console", board: "Sequence[QuestionInfo]") -> None:
    """One line a question: titles get the room the other columns leave, cut with an
    ellipsis, never wrapped; people's text is shown as text, never as Rich markup."""
    from rich.table import Table
    from rich.text import Text

    if not board:
        out.print("no questions yet (people ask on the website: /questions)")
        return
    rows = [_row(q) for q in board]
    widths = [max(len(r[i]) for r in [list(HEADERS), *rows]) for i in range(len(HEADERS))]
    room = max(12, out.width - sum(widths) + widths[1] - GAP * (len(HEADERS) - 1))
    table = Table(title="Questions (times in UTC)", title_justify="left", box=None,
                  padding=(0, GAP // 2), pad_edge=False, show_edge=False)  # fmt: skip
    for header in HEADERS:
        table.add_column(
            header, no_wrap=True, justify="right" if header in ("#", "ans") else "left"
        )
    for row in rows:
        table.add_row(
            *(Text.from_markup(inert(cell)) for cell in [row[0], _cut(row[1], room), *row[2:]])
        )
    out.print(table)
