"""Names people give teams and members: shown on pages and carried in URLs, so they must
survive both. Checked where they are created, with a message saying what to change."""

from __future__ import annotations

import unicodedata

from podium.core.errors import PodiumError

MAX_NAME_LENGTH = 60
# Joiners are part of how Persian, Hindi and emoji are written; other format characters
# (bidi overrides, invisible marks) only make two names look alike.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}


def _bad_character(name: str) -> str | None:
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (
            category == "Cf" and char not in _ALLOWED_FORMAT
        ):
            return char
    return None


def check_name(name: str, what: str = "team") -> str:
    """`name` unchanged if it is a valid team or member name; PodiumError saying why not."""
    hint = f'e.g. podium team add "Quick Lex" --member "Ada Lovelace" (at most {MAX_NAME_LENGTH} characters)'
    if not name.strip():
        raise PodiumError(f"a {what} needs a name", hint=hint)
    shown = ascii(name) if _bad_character(name) else repr(name)
    if name != name.strip():
        raise PodiumError(f"the {what} name {shown} starts or ends with a space", hint=hint)
    if len(name) > MAX_NAME_LENGTH:
        raise PodiumError(
            f"the {what} name {shown} has {len(name)} characters; at most "
            f"{MAX_NAME_LENGTH} are allowed",
            hint=hint,
        )
    if "/" in name:
        raise PodiumError(
            f"the {what} name {shown} holds a '/', which would break its page's address",
            hint=hint,
        )
    bad = _bad_character(name)
    if bad is not None:
        raise PodiumError(
            f"the {what} name {shown} holds the control or invisible character U+{ord(bad):04X}",
            hint=hint,
        )
    if set(name) == {"."}:
        raise PodiumError(f"the {what} name {shown} is only dots, which addresses skip", hint=hint)
    return name


def same_name(a: str, b: str) -> bool:
    """Names that would look alike on a page: compared case- and compatibility-folded."""
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )
