"""Text from a submission or a person, made inert before a terminal sees it.

A log, a team's or member's name, a question, a reason: any of it may carry escape sequences
(setting the window title, writing the clipboard with OSC 52, clearing the screen, links) or
Rich markup. `inert` is the one function every `podium` print path passes such text through:
control characters (C0 but newline and tab where lines are kept, DEL, C1, bidirectional
overrides, unpaired surrogates) are shown escaped (`\\x1b`), and `[` that would open Rich
markup is escaped. Every console `podium` prints with (`console()`) also escapes whatever
control character still reaches it, as a last line of defence for a value someone forgot.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Rich's console is loaded by the first print: `podium --help` needs none
    from rich.console import Console, RenderHook

# C0 but tab and newline, DEL and C1, bidi embeddings/overrides/isolates, unpaired surrogates
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_IN_LINES = re.compile(f"[{_CONTROL}]")
_IN_CELL = re.compile(f"[{_CONTROL}\t\n]")
_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if match.group() == "\n":
        return "\\n"
    if match.group() == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, lines: bool = True) -> str:
    """Every control character written out (`\\x1b`); newlines and tabs kept with `lines`."""
    return (_IN_LINES if lines else _IN_CELL).sub(_shown, text)


def inert(value: object, *, lines: bool = False) -> str:
    """`value` as Rich markup that prints exactly its text, control characters escaped; a
    name or a reason is one line (newlines shown as `\\n`), a log or a question keeps its
    lines with `lines=True`."""
    from rich.markup import escape

    return escape(escape_controls(str(value), lines=lines))


@cache
def _escape_hook() -> RenderHook:
    """The render hook printing every renderable with the control characters of its text
    escaped (Rich's own control segments, cursor moves and the like, pass as they are)."""
    from rich.console import ConsoleOptions, RenderableType, RenderHook, RenderResult
    from rich.segment import Segment

    class Escaped:
        def __init__(self, renderable: RenderableType) -> None:
            self.renderable = renderable

        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            for segment in console.render(self.renderable, options):
                if segment.control:
                    yield segment
                else:
                    yield Segment(escape_controls(segment.text), segment.style)

    class EscapeHook(RenderHook):
        def process_renderables(self, renderables: list[Any]) -> list[Any]:
            return [Escaped(r) for r in renderables]

    return EscapeHook()


def inert_console(*, stderr: bool = False, **options: Any) -> Console:
    """The console every `podium` command prints with: no highlighting, controls escaped."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, **options)
    console.push_render_hook(_escape_hook())
    return console


def inert_json(text: str) -> str:
    """JSON text (from `json.dumps`, which escapes C0 already) with DEL, C1, bidi controls
    and unpaired surrogates escaped too: the same document, printable on any terminal."""
    return _IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
