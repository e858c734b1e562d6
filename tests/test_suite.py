"""The suite's own bookkeeping (tests/conftest.py): what each store backend collects."""

from __future__ import annotations

from pathlib import Path

from .conftest import SQLITE_ONLY_FOLDERS, UNCOLLECTED_ON_POSTGRESQL

HERE = Path(__file__).parent


def test_folders_left_uncollected_on_postgresql_have_no_test_for_both_stores() -> None:
    assert set(UNCOLLECTED_ON_POSTGRESQL) <= set(SQLITE_ONLY_FOLDERS)
    for folder in UNCOLLECTED_ON_POSTGRESQL:
        marked = [p for p in (HERE / folder).rglob("*.py") if "both_stores" in p.read_text()]
        assert not marked, f"{marked}: tests/{folder} is not collected on PostgreSQL"
