"""Tables that stay readable at 80 columns (`Grid`, `Notes`: every table of `podium` but the
leaderboard's), and the small ones of tokens, teams and `podium run`: one line a row, long
cells cut with an ellipsis or given in full under the table, never crushed to a letter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from podium.cli.inert import inert

if TYPE_CHECKING:
    from podium.service.tokens import TokenInfo

WIDE_COLUMNS = 120  # below this, long values are cut in the table and given in full under it


@dataclass
class _Column:
    name: str
    right: bool
    least: int
    most: int
    wrap: bool
    spare: bool  # given in full elsewhere (a note under the table): narrowed first


@dataclass
class Grid:
    """A table that fits the terminal: each column as wide as its longest cell (at most
    `most`), then the widest ones narrowed, never below `least` (or the heading), until the
    table fits (`spare` columns first: their text is also given under the table; and `wrap`
    ones, which wrap at words instead of being cut). Cut cells end in an ellipsis."""

    title: str | None = None
    boxed: bool = False  # ruled all round (the leaderboard), else lines under the heading only
    columns: list[_Column] = field(default_factory=list)
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def column(
        self,
        name: str,
        *,
        right: bool = False,
        least: int = 0,
        most: int = 0,
        wrap: bool = False,
        spare: bool = False,
    ) -> None:
        least = max(least, cell_len(name))
        self.columns.append(_Column(name, right, least, most, wrap, spare or wrap))

    def add_row(self, *cells: str) -> None:
        """Cells are Rich markup: escape what people typed."""
        self.rows.append(cells)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def widths(self, room: int) -> list[int]:
        widths = []
        for i, col in enumerate(self.columns):
            lines = [line for r in self.rows for line in Text.from_markup(r[i]).plain.split("\n")]
            longest = max(map(cell_len, lines), default=0)
            widest = min(longest, col.most) if col.most else longest
            widths.append(max(col.least, widest))
        # a column's gap: a space of padding and one of border (boxed: two of padding, a rule)
        room -= 3 * len(widths) + 1 if self.boxed else 2 * (len(widths) - 1)
        for only_spare in (True, False):
            while sum(widths) > room:
                narrowable = [
                    k
                    for k, c in enumerate(self.columns)
                    if widths[k] > c.least and (c.spare or not only_spare)
                ]
                if not narrowable:
                    break  # cannot fit: Rich then narrows every column evenly
                widths[max(narrowable, key=lambda k: widths[k])] -= 1
        return widths

    def print(self, console: Console) -> None:
        table = Table(
            title=self.title,
            title_justify="left",
            box=box.HEAVY_HEAD if self.boxed else box.SIMPLE_HEAD,
            show_edge=self.boxed,
            pad_edge=self.boxed,
            collapse_padding=not self.boxed,
        )
        for col, width in zip(self.columns, self.widths(console.width), strict=True):
            table.add_column(
                col.name,
                justify="right" if col.right else "left",
                width=width,
                no_wrap=not col.wrap,
                overflow="fold" if col.wrap else "ellipsis",
            )
        for row in self.rows:
            table.add_row(*row)
        console.print(table)


def clip(text: str, width: int) -> str:
    """A value in at most `width` characters, the cut marked."""
    return text if len(text) <= width else text[: width - 1] + "…"


def error_note(error: str | None, run_id: int | None, lines: int = 3) -> str:
    """A run's error for a note under a table: a line per kind of problem (`label N is not
    one of […]: 1,483 times in 7 files`, the first `lines` of them), and where the rest is."""
    from podium.rules.problems import group_error

    groups = group_error(error)
    if len(groups) == 1 and groups[0].count == 1:  # one error: its own words
        shown = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
        text = " ".join(shown[:lines])
        return text + (f" … (podium run {run_id} has it all)" if len(shown) > lines else "")
    text = "; ".join(g.summary for g in groups[:lines])
    if len(groups) == 1 and groups[0].examples:
        text += f", first {groups[0].examples[0]}"
    return text + (f" … (podium run {run_id} has it all)" if len(groups) > lines else "")


class Notes:
    """Long values (errors, reasons) moved under a table: the cell keeps a number and the
    start of the text, the note below gives it in full, wrapped at words."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lines: list[str] = []
        self.wide = console.width >= WIDE_COLUMNS

    def cell(self, about: str, text: str) -> str:
        if not text or self.wide:
            return inert(text)
        self.lines.append(f"({len(self.lines) + 1}) {about}: {text}")
        return inert(f"({len(self.lines)}) {text}")

    def print(self) -> None:
        for line in self.lines:
            self.console.print(inert(line))


def print_tokens(console: Console, rows: Sequence[TokenInfo]) -> None:
    table = Grid()
    table.column("id", right=True)
    table.column("role")
    table.column("team", least=10, most=28)
    table.column("member", least=8, most=20)
    table.column("state")
    table.column("label", least=8)
    for r in rows:
        state = "revoked" if r.revoked else "active"
        cells = (str(r.id), r.role, r.team or "-", r.member or "-", state, r.label or "-")
        table.add_row(*map(inert, cells))
    table.print(console)


def print_teams(console: Console, teams: Sequence[dict[str, Any]]) -> None:
    """A team a line; members wrap onto more lines rather than being cut."""
    if not teams:
        console.print("no teams yet (podium team add NAME --member PERSON)")
        return
    table = Grid()
    table.column("team", least=12, most=30)
    table.column("members", least=24, wrap=True)
    for t in teams:
        table.add_row(inert(t["team"]), inert(", ".join(t["members"]) or "-"))
    table.print(console)


def print_run(console: Console, record: dict[str, Any], log_tail: str) -> None:
    """`podium run`: the run's record in sections that fit the terminal (`--json` has every
    digit of every hash and number)."""
    say = console.print
    say(f"[bold]run {record['id']}[/] of submission {record['submission']}: {record['status']}")
    print_problems(console, record.get("problems") or [])
    harness = record["harness_seconds"]  # none when the run ended before the harness did
    say(f"started {_when(record['started_at'])}, finished {_when(record['finished_at'])}, "
        f"hardware {inert(record['hardware'] or '-')}, "
        f"harness {'-' if harness is None else f'{harness:.3f} s'}")  # fmt: skip
    say(f"sha256: submission {clip(record['submission_sha256'], 17)}, "
        f"inputs {clip(record['inputs_sha256'] or '-', 17)}")  # fmt: skip
    fingerprint = record["fingerprint"] or {}
    pairs = [f"{k} {clip(str(v), 17)}" for k, v in fingerprint.items() if v is not None]
    say("fingerprint: " + inert(", ".join(pairs)), highlight=False)
    limits = Grid("Limits enforced")
    limits.column("limit", least=10)
    limits.column("by", least=20, wrap=True)
    for name, how in (record["enforcement"] or {}).items():
        limits.add_row(inert(name), inert(str(how)))
    if limits.row_count:
        limits.print(console)
    _print_measurements(console, record["measurements"])
    scores = Grid("Scores")
    for col in ("task", "language", "metric", "score", "examples"):
        scores.column(col, right=col in ("score", "examples"), least=6, most=24)
    counted = {(s["task"], s["metric"]) for s in (record.get("result") or {}).get("scores", [])
               if s["counted"]}  # fmt: skip
    for s in record.get("scores", []):
        metric = s["metric"] + (" (counts)" if (s["task"], s["metric"]) in counted else "")
        scores.add_row(s["task"], s["language"], metric, f"{s['value']:.2f}", str(s["count"]))
    if scores.row_count:
        scores.print(console)
    if record.get("result"):
        print_result(console, record["result"])
    say("[bold]log tail[/]")
    say(inert(log_tail, lines=True) or "(empty)")


def print_problems(console: Console, groups: Sequence[dict[str, Any]]) -> None:
    """A run's errors by kind: how often, in which files, at most five examples each (the
    result page and `/api/runs/ID` group them the same way)."""
    for g in groups:
        times = "once" if g["count"] == 1 else f"{g['count']:,} times"
        files = f" in {g['file_count']} file(s)" if g["file_count"] else ""
        console.print(f"[red]error:[/] {inert(g['kind'])} ({times}{files})", highlight=False)
        if g["files"]:
            more = ", …" if g["file_count"] > len(g["files"]) else ""
            console.print("  files: " + inert(", ".join(g["files"]) + more), highlight=False)
        for example in g["examples"]:
            console.print("  " + inert(example), highlight=False)


def print_result(console: Console, result: dict[str, Any]) -> None:
    """Place and why, and the timing with its interval (scores are in the table above)."""
    place, timing = result["place"], result["timing"]
    if place["on_board"]:
        console.print(f"place {place['place']} ({place['move']}: performance "
                      f"{place['performance_place']}, efficiency {place['efficiency_place']}), "
                      f"overall {result['overall']:.2f}", highlight=False)  # fmt: skip
        for reason in place["reasons"]:
            console.print("  " + inert(reason), highlight=False)
    else:
        best = f" (run {place['best_run_id']} holds place {place['team_place']})" if place[
            "best_run_id"] else ""  # fmt: skip
        console.print(f"overall {result['overall']:.2f}: {place['why']}{best}", highlight=False)
    console.print(f"timing: {timing['text']} ({timing['interval_text']}; "
                  f"{timing['repeats']} repeat(s))", highlight=False)  # fmt: skip


def _print_measurements(console: Console, measurements: Sequence[dict[str, Any]]) -> None:
    table = Grid("Timed repeats")
    for col in ("repeat", "wall s", "CPU s", "peak MiB", "written", "exit", "energy J"):
        table.column(col, right=True)
    notes = sorted({m["energy_note"] for m in measurements if m.get("energy_note")})
    for m in measurements:
        joules = [j for j in (m["cpu_energy_joules"], m["gpu_energy_joules"]) if j is not None]
        table.add_row(
            str(m["repeat"] + 1),
            f"{m['wall_seconds']:.3f}",
            f"{m['cpu_user_seconds'] + m['cpu_system_seconds']:.3f}",
            f"{m['peak_rss_bytes'] / 2**20:.0f}",
            str(m["bytes_written"]),
            "timed out" if m["timed_out"] else str(m["exit_code"]),
            f"{sum(joules):.1f}" if joules else "-",
        )
    if measurements:
        table.print(console)
    for note in notes:
        console.print(f"energy: {note}", markup=False, highlight=False)


def _when(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else "-"
