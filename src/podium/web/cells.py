"""CSV cells a spreadsheet reads as text, never as a formula (OWASP's CSV injection advice): a
cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, unless
it is a plain number (`-0.5`, `+2`: what our own columns hold, and no formula)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TextIO

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def inert_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    return value if _NUMBER.fullmatch(value) else "'" + value


def inert_row(values: Iterable[object]) -> list[object]:
    return [inert_cell(v) for v in values]


class InertWriter:
    """`csv.writer` whose every row passes through `inert_row`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, values: Iterable[object]) -> None:
        self._writer.writerow(inert_row(values))
