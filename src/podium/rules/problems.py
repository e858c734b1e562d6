"""A run's errors grouped by kind: how many, in which files, a few examples each.

A submission with one systematic mistake makes it on every line ("label 1 is not one of
[...]" 1,483 times in 7 files); a list of the first twenty lines hides that. `Problems`
collects them as they are found (bounded memory: counts, a few files and examples per
kind) and writes the one text stored as a run's error; `group_error` reads any stored error
back into the same groups, so the result page, the API and `podium run` say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

EXAMPLES = 5  # examples kept per kind
FILES = 10  # file names kept per kind (the count is exact)
KINDS = 20  # kinds kept; the rest are counted as "other problems"
OTHER = "other problems"

_WHERE = re.compile(r"^(?P<file>[^\s:][^:\n]*?)(?::(?P<line>\d+))?: (?P<what>.+)$")
_HEAD = re.compile(r"^(?P<total>\d+) problem\(s\) with the (?P<what>[^,:]+?)(?: \(\d+ kinds?\))?:$")
_GROUP = re.compile(
    r"^  (?P<count>\d+) × (?P<kind>.+?) in (?P<n>\d+) file\(s\)(?:: (?P<files>.*))?$"
)
_VALUES = (
    # quoted values, but not a quoted field name ('tags'): it says which kind
    (re.compile(r"'(?![A-Za-z_]+')(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""), "…"),
    (re.compile(r"\[[^\]]*\]"), "[…]"),
    (re.compile(r"\{[^}]*\}"), "{…}"),
    (re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])"), "N"),
)


@dataclass
class Group:
    """One kind of problem: how often, in which files (the first `FILES`), the first
    `EXAMPLES` lines as found."""

    kind: str
    count: int = 0
    file_count: int = 0
    files: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "file_count": self.file_count,
                "files": list(self.files), "examples": list(self.examples)}  # fmt: skip

    @property
    def summary(self) -> str:
        """`label N is not one of […]: 1,483 times in 7 files`; a plain error (not a list
        of problems) as itself."""
        if self.count == 1 and not self.file_count:
            return self.kind
        files = f" in {self.file_count} file{'s' if self.file_count != 1 else ''}"
        times = "once" if self.count == 1 else f"{self.count:,} times"
        return f"{self.kind}: {times}{files if self.file_count else ''}"


def split_where(line: str) -> tuple[str | None, str]:
    """(`file`, the message) of `file:line: message` or `file: message`; (None, line)."""
    match = _WHERE.match(line.strip())
    if match is None or " " in match["file"]:
        return None, line.strip()
    return match["file"], match["what"]


def kind_of(message: str) -> str:
    """The message with its values (quoted, listed, numbers) made placeholders."""
    for pattern, placeholder in _VALUES:
        message = pattern.sub(placeholder, message)
    return message[:200]


class Problems:
    """Problems as they are found, grouped by kind in the order first met."""

    def __init__(self) -> None:
        self.total = 0
        self.groups: dict[str, Group] = {}
        self._files: dict[str, set[str]] = {}

    def add(self, line: str) -> None:
        self.total += 1
        file, message = split_where(line)
        kind = kind_of(message)
        if kind not in self.groups and len(self.groups) >= KINDS - 1:  # the last: OTHER
            kind = OTHER
        group = self.groups.setdefault(kind, Group(kind))
        group.count += 1
        if len(group.examples) < EXAMPLES:
            group.examples.append(line.strip())
        if file is not None:
            seen = self._files.setdefault(kind, set())
            if file not in seen:
                seen.add(file)
                group.file_count += 1
                if len(group.files) < FILES:
                    group.files.append(file)

    def text(self, what: str) -> str:
        """The stored error: a head line, then a block per kind (`group_error` reads it)."""
        kinds = len(self.groups)
        lines = [
            f"{self.total} problem(s) with the {what} ({kinds} kind{'s' if kinds != 1 else ''}):"
        ]
        for g in self.groups.values():
            files = ", ".join(g.files) + (", …" if g.file_count > len(g.files) else "")
            lines.append(f"  {g.count} × {g.kind} in {g.file_count} file(s)"
                         + (f": {files}" if files else ""))  # fmt: skip
            lines.extend(f"    {example}" for example in g.examples)
        return "\n".join(lines)


def group_error(error: str | None) -> list[Group]:
    """A stored error as groups: the blocks `Problems.text` wrote, a plain list of problem
    lines (older runs) grouped here, or any other error as one group of its own."""
    lines = [line for line in (error or "").splitlines() if line.strip()]
    if not lines:
        return []
    head = _HEAD.match(lines[0].strip())
    if head is None:
        return [Group(kind=lines[0].strip()[:200], count=1, examples=lines[1 : EXAMPLES + 1])]
    written = _read_blocks(lines[1:])
    if written:
        return written
    problems = Problems()
    for line in lines[1:]:
        if not line.strip().startswith(("... and ", "hint: ")):
            problems.add(line)
    return list(problems.groups.values())


def _read_blocks(lines: list[str]) -> list[Group]:
    groups: list[Group] = []
    for line in lines:
        match = _GROUP.match(line)
        if match is not None:
            files = [f for f in (match["files"] or "").split(", ") if f and f != "…"]
            groups.append(Group(match["kind"], int(match["count"]), int(match["n"]), files))
        elif groups and line.startswith("    "):
            groups[-1].examples.append(line.strip())
        elif line.startswith("hint: "):
            break
        else:
            return []  # not ours
    return groups


def summary_lines(error: str | None) -> list[str]:
    """A line per kind (`what: N times in K files`) for a status cell or a table's note."""
    return [g.summary for g in group_error(error)]
