"""What an environment may install: pinned packages from the evaluator's index, nothing else.

A requirements file is read line by line and every line must pin one package from the index
(`name==version`, optional extras, an environment marker and `--hash` options). Every other
form is refused here, before anything is built: options (`-e`, `-r`, `-c`, `--index-url`,
`--find-links`, `--trusted-host`...) would point the build at other places, and direct
references (`name @ URL`, paths, VCS links) at other code. The build installs wheels only
(`--no-build`), so no code of the team runs while it is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podium.core.errors import SubmissionError

MAX_PACKAGES = 500  # a build budget: a longer list is refused before anything is fetched
MAX_REQUIREMENTS_BYTES = 1_000_000

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PIN = re.compile(
    rf"^(?P<name>{_NAME})\s*(?P<extras>\[\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\])?"
    r"\s*==\s*(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:;(?P<marker>.*))?$"
)
_HASH = re.compile(r"\s--hash[=\s]\s*(?:sha256|sha384|sha512):[0-9a-fA-F]{64,128}(?=\s|$)")
_QUOTED = re.compile(r"'[^'\\]*'|\"[^\"\\]*\"")
_MARKER_WORDS = frozenset(
    [
        "python_version",
        "python_full_version",
        "os_name",
        "sys_platform",
        "platform_release",
        "platform_system",
        "platform_version",
        "platform_machine",
        "platform_python_implementation",
        "implementation_name",
        "implementation_version",
        "extra",
        "and",
        "or",
        "not",
        "in",
    ]
)  # PEP 508's marker variables and words; the rest are quoted strings and operators
PIN_HINT = (
    "an environment lists pinned packages from the index only, one per line: "
    "`name==version` (extras, a `; marker` and `--hash=sha256:...` allowed); "
    "`uv pip compile requirements.in -o requirements.txt` writes such a file"
)


@dataclass(frozen=True)
class Pinned:
    """A checked requirements file: its lines as uv will read them, and the package names."""

    text: str
    names: tuple[str, ...]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with `\\` continuations joined and comments dropped."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.strip():
            lines.append((start, line.strip()))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def _refusal(line: str) -> str:
    if line.startswith("-"):
        option = line.split()[0].split("=")[0]
        return f"{option}: options are not allowed"
    if "@" in line.split(";")[0] or "://" in line or line.startswith((".", "/", "~")):
        return "a direct reference (URL, path or VCS link) is not allowed"
    return "not a pinned package (`name==version`)"


def _is_marker(text: str) -> bool:
    for token in re.split(r"[\s()]+|[<>=!~]=?|===?", _QUOTED.sub(" ", text)):
        if token and token not in _MARKER_WORDS:
            return False
    return True


def check_requirements(text: str, where: str) -> Pinned:
    """The pinned lines of a requirements file; a SubmissionError names the first bad line."""
    if len(text.encode()) > MAX_REQUIREMENTS_BYTES:
        raise SubmissionError(
            f"the requirements take more than {MAX_REQUIREMENTS_BYTES} bytes", where=where
        )
    kept, names = [], []
    for number, line in _logical_lines(text):
        requirement = _HASH.sub("", f" {line}").strip()
        match = _PIN.match(requirement)
        marker = match.group("marker") if match else None
        if match is None or (marker is not None and not _is_marker(marker)):
            raise SubmissionError(
                f"line {number}: {_refusal(requirement or line)}: {line[:120]!r}",
                where=where,
                hint=PIN_HINT,
            )
        kept.append(line)
        names.append(match.group("name").lower().replace("_", "-").replace(".", "-"))
    if len(kept) > MAX_PACKAGES:
        raise SubmissionError(
            f"{len(kept)} packages: an environment holds at most {MAX_PACKAGES}",
            where=where,
            hint="install fewer packages; a model's runtime rarely needs more than a few dozen",
        )
    doubles = sorted({n for n in names if names.count(n) > 1})
    if doubles:
        raise SubmissionError(f"pinned more than once: {', '.join(doubles)}", where=where)
    return Pinned(text="".join(f"{line}\n" for line in kept), names=tuple(names))


__all__ = ["MAX_PACKAGES", "Pinned", "check_requirements"]
