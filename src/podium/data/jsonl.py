"""Streaming JSON Lines: one record per line, errors with file:line."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from podium.core.errors import DataError

# parsed sealed files a process keeps (labels, canary maps): an evaluator's whole split
SEALED_FILES_KEPT = 512


def iter_jsonl(
    path: Path, *, error: type[Exception] = DataError
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) for every non-blank line; objects only."""
    with path.open("r", encoding="utf-8-sig") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise error(f"not valid JSON ({err.msg})", where=f"{path}:{lineno}") from None  # type: ignore[call-arg]
            if not isinstance(record, dict):
                raise error("each line must be a JSON object", where=f"{path}:{lineno}")  # type: ignore[call-arg]
            yield lineno, record


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records one per line (UTF-8, no ASCII escaping); returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json_line(record))
            count += 1
    return count


def json_line(record: dict[str, Any]) -> str:
    """One record as `write_jsonl` writes it, line end included."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def file_signature(path: Path) -> tuple[int, ...] | None:
    """What changes whenever a regular file is rewritten or touched (device, inode, size,
    mtime, ctime), a key for caching what was parsed from it; None if it is not one."""
    try:
        found = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
