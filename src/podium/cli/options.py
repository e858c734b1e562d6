"""What every `podium` sub-command shares: options, error output, opening a competition."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from podium.cli.inert import inert, inert_console, inert_json
from podium.core.errors import PodiumError

if TYPE_CHECKING:  # imported when a command runs: `podium --help` stays fast
    from rich.console import Console

    from podium.service import Podium

T = TypeVar("T")
NEWS_SECONDS = 10.0
MAX_ID = 2**63 - 1  # the store's largest integer: a bigger id names no row and fails to bind


def store_id(kind: str) -> Callable[[int | None], int | None]:
    """A typer callback refusing an id no row can have, at the edge (as the web's `Id`)."""

    def check(value: int | None) -> int | None:
        if value is not None and not 0 < value <= MAX_ID:
            raise typer.BadParameter(f"there is no {kind} {value} (ids run from 1 to {MAX_ID})")
        return value

    return check


CompetitionOpt = Annotated[
    Path,
    typer.Option(
        "--competition",
        "-c",
        envvar="PODIUM_COMPETITION",
        help="competition folder (holds competition.toml)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="print only the essentials")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="every warning (default: one line per kind)")
]


def console(*, stderr: bool = False) -> Console:
    """What every command prints with: people's text in it is inert (`cli/inert.py`)."""
    return inert_console(stderr=stderr)


def fail(err: PodiumError) -> None:
    console(stderr=True).print(f"[bold red]error:[/] {inert(err.message, lines=True)}")
    raise typer.Exit(2)


@contextmanager
def open_podium(root: Path, *, read_only: bool = False) -> Iterator[Podium]:
    """The competition for one command. `read_only` (a command that only shows something):
    no migration (a store behind the code names `podium migrate`) and no wait on news; the
    schedule is applied either way, so every command sees the stages the server sees (news
    a due change makes waits in the outbox for the server or the next command that sends)."""
    from podium.service import Podium

    try:
        podium = Podium.open(root, read_only=read_only)
    except PodiumError as err:
        fail(err)
        raise
    try:
        podium.schedule.apply()
        yield podium
    except PodiumError as err:
        fail(err)
    finally:
        if not read_only:
            deliver_news(podium)
        podium.close()


def shown(
    root: Path, parts: Sequence[object], show: Callable[[Podium], None], *, timeless: bool = True
) -> None:
    """A read-only command: replay what it printed with the same `parts` (its name and
    options) on the same terminal while nothing it shows changed (`service/outputs.py`),
    else `show` it through the full path and keep what it printed. `timeless=False`: the
    text moves with the clock (kept only for a competition without a schedule)."""
    from podium.service import outputs

    words = [*map(str, parts), *_terminal()]
    kept = outputs.replay(root, words)
    if kept is not None:
        sys.stdout.write(kept)
        sys.stdout.flush()
        return
    with open_podium(root, read_only=True) as podium:
        at = outputs.mark(podium, timeless=timeless)
        with _recorded() as (out, err):
            show(podium)
        if at is not None and not err.parts:
            outputs.keep(podium, words, at, "".join(out.parts))


def _terminal() -> list[str]:
    """What Rich's output depends on besides the text: the streams, their sizes, and the
    environment variables it reads."""
    sizes = []
    for fd in (0, 1, 2):
        try:
            sizes.append("x".join(map(str, os.get_terminal_size(fd))))
        except (OSError, ValueError):
            sizes.append("-")
    names = ("COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR",
             "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS", "JUPYTER_LINES")  # fmt: skip
    return [
        str(sys.stdout.isatty()),
        str(sys.stdout.encoding),
        *sizes,
        *(f"{name}={os.environ.get(name)}" for name in names),
    ]


class _Recorder(io.TextIOBase):
    """A standard stream that also records what is written to it (isatty, fileno and the
    encoding are the real stream's, so Rich renders as it would without it)."""

    def __init__(self, real: Any) -> None:
        self.real, self.parts = real, list[str]()

    def write(self, text: str) -> int:
        self.parts.append(text)
        return int(self.real.write(text))

    def flush(self) -> None:
        self.real.flush()

    def isatty(self) -> bool:
        return bool(self.real.isatty())

    def fileno(self) -> int:
        return int(self.real.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(self.real.encoding)

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.real.errors  # type: ignore[no-any-return]


@contextmanager
def _recorded() -> Iterator[tuple[_Recorder, _Recorder]]:
    out, err = _Recorder(sys.stdout), _Recorder(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = out.real, err.real


def deliver_news(podium: Podium) -> None:
    """Send the news this command made, for a few seconds at most (the server's deliverer or
    the next command sends what is left)."""
    if not podium.news.published:
        return
    try:
        podium.news.deliver(within=NEWS_SECONDS)
    except Exception as err:  # never the command's failure: the news stays in the outbox
        console(stderr=True).print(
            f"[yellow]warning:[/] news not sent yet ({inert(type(err).__name__)})"
        )


def guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except PodiumError as err:
        fail(err)
        raise


def progress(quiet: bool) -> Callable[[str], None] | None:
    if quiet:
        return None
    err = console(stderr=True)
    return lambda msg: err.print(f"[dim]… {inert(msg)}[/]")


def emit_json(value: Any) -> None:
    text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write(inert_json(text) + "\n")
