"""Migrations build the schema the models describe, and upgrade an older store in place, on
the backend under test (SQLite, or PostgreSQL with PODIUM_TEST_STORE=postgresql)."""

from __future__ import annotations

import subprocess
import sys

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from podium.store.db import (
    alembic_config,
    create_store_engine,
    head_revision,
    stored_revision,
    upgrade,
)
from podium.store.models import Base


def test_migrations_match_the_models(empty_store_url: str) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        upgrade(engine)
        upgrade(engine)  # idempotent
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_an_older_store_upgrades_without_losing_rows(empty_store_url: str) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        command.upgrade(alembic_config(engine), "0001")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO hall_of_fame (competition_name, stage_name, place, "
                              "team_name, members, score, duration_seconds, recorded_at) VALUES "
                              "('c', 's', 1, 't', '', 1.0, 2.0, '2026-01-01')"))  # fmt: skip
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("measurements")}
        assert "gpu_energy_joules" in columns
        with engine.connect() as conn:
            assert conn.execute(text("SELECT team_name FROM hall_of_fame")).scalar() == "t"
    finally:
        engine.dispose()


def test_0006_adds_the_energy_columns_and_takes_them_away_again(empty_store_url: str) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        energy = {"cpu_energy_joules", "idle_cpu_watts", "idle_gpu_watts", "energy_note"}
        upgrade(engine)
        assert energy <= {c["name"] for c in inspect(engine).get_columns("measurements")}
        command.downgrade(alembic_config(engine), "0005")
        columns = {c["name"] for c in inspect(engine).get_columns("measurements")}
        assert not energy & columns and "gpu_energy_joules" in columns
    finally:
        engine.dispose()


def test_every_migration_goes_down_to_nothing_and_up_again(empty_store_url: str) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_readers_know_the_head_and_the_stored_revision_without_alembic(
    empty_store_url: str,
) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        assert stored_revision(engine) is None  # never migrated
        command.upgrade(alembic_config(engine), "0009")
        assert stored_revision(engine) == "0009"
        upgrade(engine)
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert head_revision() == head == stored_revision(engine)
    finally:
        engine.dispose()


def test_0024_gives_cancelled_attempt_numbers_back(empty_store_url: str) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        command.upgrade(alembic_config(engine), "0020")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO competitions (id, name, root, spec_text, spec_hash, "
                    "created_at) VALUES (1, 'c', '.', '', '', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO stages (id, competition_id, name, position, split, "
                    "status, revealed) VALUES (1, 1, 's', 0, 'dev', 'open', false)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO teams (id, competition_id, name, created_at) VALUES "
                    "(1, 1, 'a', '2026-01-01'), (2, 1, 'b', '2026-01-01')"
                )
            )
            for sub_id, team, attempt, status in (
                (1, 1, 1, "scored"),
                (2, 1, 2, "cancelled"),
                (3, 2, 1, "queued"),
                (4, 1, 3, "queued"),
                (5, 1, 4, "cancelled"),
                (6, 1, 5, "queued"),
            ):
                conn.execute(text(
                    "INSERT INTO submissions (id, team_id, stage_id, attempt, sha256, "
                    "archive_path, status, platform_failures, label, selected_for_final, "
                    "created_at) VALUES (:id, :team, 1, :attempt, '', '', :status, 0, '', "
                    "false, '2026-01-01')"), {"id": sub_id, "team": team, "attempt": attempt,
                                              "status": status})  # fmt: skip
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, attempt FROM submissions ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, 1), (2, -2), (3, 1), (4, 2), (5, -5), (6, 3)]
    finally:
        engine.dispose()


def test_a_store_at_the_newest_schema_is_opened_without_loading_alembic(
    empty_store_url: str,
) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    probe = (
        "import sys\n"
        "from podium.store.db import create_store_engine, stored_revision, upgrade\n"
        f"engine = create_store_engine({empty_store_url!r})\n"
        "upgrade(engine)\n"
        "print(stored_revision(engine), 'alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.split() == [head_revision(), "False"], done.stderr
