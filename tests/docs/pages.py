"""Reading the documentation pages: fenced blocks, console commands and `podium` command lines.

The convention every page under docs/ follows (new pages are picked up by the glob):

- A ```console block holds commands, lines starting with `$ ` (a trailing `\\` continues
  one), each followed by the output expected from it: every expected line must appear in the
  command's output, in order (trailing spaces ignored); a line ending with `...` matches any
  line starting with the rest; `...` alone is skipped.
- A comment line `# in another terminal` before a command starts it in the background.
  The ports 8000 (the server) and 8001 (anything else listening) stand for free ports.
- Commands that cannot run here go in ```bash, ```sh or ```text blocks; every `podium ...`
  command there, in console blocks and in inline code must still name a real command and only
  options it has.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
BACKGROUND = "# in another terminal"
_FENCE = re.compile(r"^(\s*)(```+)\s*([\w-]*)")
_INLINE = re.compile(r"`(podium [^`]+)`")
_BREAKS = {";", "&&", "||", "|", "(", ")", "$", "$(", "`"}


def pages() -> list[Path]:
    """Every Markdown page of the site."""
    return sorted(DOCS.rglob("*.md"))


@dataclass
class Block:
    lang: str
    lines: list[str]
    line: int  # where the block's first line is in the page, 1-based


@dataclass
class Command:
    text: str
    expected: list[str] = field(default_factory=list)
    background: bool = False
    where: str = ""


def blocks(text: str) -> tuple[list[Block], list[str]]:
    """The fenced blocks of a page, and its other lines (prose and tables)."""
    found: list[Block] = []
    prose: list[str] = []
    current: Block | None = None
    indent = ""
    for number, line in enumerate(text.splitlines(), 1):
        fence = _FENCE.match(line)
        if current is None and fence:
            indent, current = fence.group(1), Block(fence.group(3), [], number + 1)
        elif current is not None and line.strip().startswith("```"):
            found.append(current)
            current = None
        elif current is not None:
            current.lines.append(line.removeprefix(indent))
        else:
            prose.append(line)
    assert current is None, (
        f"a fenced block from line {found[-1].line if found else 0} is not closed"
    )
    return found, prose


def console_commands(page: Path) -> list[Command]:
    """The commands of a page's console blocks, in order, with their expected output."""
    commands: list[Command] = []
    background = False
    for block in blocks(page.read_text(encoding="utf-8"))[0]:
        if block.lang != "console":
            continue
        lines = iter(enumerate(block.lines, block.line))
        for number, line in lines:
            if line.strip() == BACKGROUND:
                background = True
            elif line.startswith("$ "):
                text = line[2:]
                while text.endswith("\\"):
                    text = text[:-1] + " " + next(lines)[1].strip()
                where = f"{page.name}:{number}"
                commands.append(Command(text, background=background, where=where))
                background = False
            elif commands and line.strip():
                commands[-1].expected.append(line.rstrip())
    return commands


def podium_lines(page: Path) -> list[tuple[str, list[str]]]:
    """Every `podium ...` command shown anywhere on a page, as (where, argv after `podium`)."""
    found: list[tuple[str, list[str]]] = []
    page_blocks, prose = blocks(page.read_text(encoding="utf-8"))
    for block in page_blocks:
        for offset, line in enumerate(block.lines):
            if block.lang == "console" and not line.startswith("$ "):
                continue  # output, not a command
            where = f"{page.name}:{block.line + offset}"
            found += [(where, argv) for argv in podium_calls(line.removeprefix("$ "))]
    for line in prose:
        for span in _INLINE.findall(line):
            found += [(f"{page.name} (inline)", argv) for argv in podium_calls(span)]
    return found


def _words(line: str) -> list[str]:
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()`")
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:  # unbalanced quotes: a diagram or prose, not a command line
        return line.split()


def podium_calls(line: str) -> list[list[str]]:
    """The arguments of each `podium` call in a shell line (after `$(`, `;`, `&&`, `|`, ...)."""
    words = _words(line.replace("$(", " $( "))
    calls: list[list[str]] = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        starts = not before or before in _BREAKS or re.fullmatch(r"\w+=\S*", before)
        # `podium` where a command starts, or an installed one by its path (after sudo -u ...)
        if not ((word == "podium" and starts) or word.endswith("/bin/podium")):
            continue
        argv: list[str] = []
        for arg in words[i + 1 :]:
            if arg in _BREAKS or arg.startswith("#"):
                break
            argv.append(arg)
        calls.append(argv)
    return calls
