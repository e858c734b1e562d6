"""Text from outside (a submission's log, its file names, its podium.toml) made safe to keep
and to show, with nothing a person needs lost: escaped, never dropped.

Python reads bytes that are not UTF-8 (a file name, a log decoded with `surrogateescape`) as
lone surrogates, which no store can encode; PostgreSQL refuses NUL in text. `storable` escapes
exactly those; `shown_name` also escapes the control characters a file name may hide.
"""

from __future__ import annotations

import re
import unicodedata

# characters a command line or a file name has no business holding (C0/C1 controls, DEL,
# format characters such as right-to-left overrides, line and paragraph separators)
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_ALLOWED_IN_SHELL = frozenset("\t\n")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if char in _SHORT:
        return _SHORT[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def storable(text: str) -> str:
    """`text` as every store keeps it: NUL and lone surrogates escaped (`\\x00`, `\\xff` for
    an undecodable byte, `\\ud800`); everything else, newlines and colours included, as is."""
    return _UNSTORABLE.sub(lambda m: _escape(m.group()), text)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in _CONTROL_CATEGORIES


def shown_name(name: str) -> str:
    """A file name as read from disk, for a person: undecodable bytes and control characters
    escaped, so it prints as one inert line."""
    return "".join(_escape(c) if _is_control(c) else c for c in name)


def control_characters(text: str) -> list[tuple[int, str]]:
    """(index, character) of every control character in a shell line; tabs and newlines are
    the shell's own and allowed."""
    return [(i, c) for i, c in enumerate(text) if c not in _ALLOWED_IN_SHELL and _is_control(c)]


def code_point(char: str) -> str:
    """`U+001B`: a character named so that naming it shows nothing."""
    return f"U+{ord(char):04X}"
