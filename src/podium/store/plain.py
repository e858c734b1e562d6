"""The store read with the standard library alone: what a read-only command needs to know
whether an output it printed before is still true (`service/outputs.py`), without loading
SQLAlchemy, the models or Alembic. SQLite only; any other store, or any doubt, answers None and the caller takes the
full path (which migrates nothing and names `podium migrate` for a store behind the code)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
SHOWN_ROW = 2  # board_revision's row for everything a read-only command shows (0015)


def head_revision() -> str:
    """The newest migration: revisions are numbered like their files (`0010_...py` is "0010";
    tests/store/test_migrations.py holds Alembic to it), so readers need not load Alembic."""
    names = sorted(p.name for p in MIGRATIONS.glob("[0-9]*_*.py"))
    return names[-1].split("_", 1)[0]


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///...` URL as `store/db.sqlite_url` writes them, else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix:
        return None
    return Path(unquote(url[len(prefix) :]))


def shown_revision(path: Path) -> int | None:
    """The revision of what read-only commands show, if the store is at this code's schema
    (one statement, read-only), else None."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute(
            "SELECT r.value FROM board_revision r, alembic_version v "
            "WHERE r.id = ? AND v.version_num = ?",
            (SHOWN_ROW, head_revision()),
        ).fetchone()
    except sqlite3.Error:  # not a podium store, or one from before 0013: the full path says
        return None
    finally:
        conn.close()
    return None if row is None else int(row[0])
