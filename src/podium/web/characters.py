"""Characters the store cannot hold: NUL (PostgreSQL's text refuses it; SQLite would keep a
value no other part expects) and unpaired UTF-16 surrogates (no UTF-8 encoding exists). A
request carrying one anywhere it could reach the store is refused at the edge (400), the same
on both stores, before any route runs (`middleware.StoreSafe`, and upload fields in `uploads`).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
HINT = "remove it and send the request again"


def refusal(where: str) -> str:
    """What a refused request is told: where the character was, and what to do."""
    return f"{where} holds a NUL byte or an unpaired surrogate, which cannot be stored: {HINT}"


def unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def in_url_encoded(raw: bytes) -> bool:
    """A NUL in a query string or a url-encoded form, raw or percent-encoded (percent-encoded
    bytes that are not UTF-8 are read as replacement characters, never as surrogates)."""
    return b"\x00" in unquote_to_bytes(raw.replace(b"+", b" "))


def in_json(raw: bytes) -> bool:
    """A NUL or unpaired surrogate in any string of a JSON body, keys included; a body that is
    not JSON is left to the route to refuse."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return b"\x00" in raw
    return _any_unstorable(value)


def _any_unstorable(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
