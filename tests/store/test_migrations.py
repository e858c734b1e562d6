"""Migrations build the schema the models describe, and upgrade an older store in place, on
the backend under test (SQLite, or PostgreSQL with PODIUM_TEST_STORE=postgresql); a new store,
made at the newest schema at once, is what running every migration from the first makes."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from podium.store.db import (
    alembic_config,
    create_store_engine,
    head_revision,
    stored_revision,
    upgrade,
)
from podium.store.models import Base
from podium.store.plain import SHOWN_ROW


def test_migrations_match_the_models(empty_store_url: str) -> None:
    engine = create_store_engine(empty_store_url)
    try:
        command.upgrade(alembic_config(engine), "head")  # every migration, from the first
        upgrade(engine)  # idempotent
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_a_new_store_is_what_every_migration_makes(
    empty_store_url: str, other_empty_store_url: str
) -> None:
    """`upgrade` makes an empty store at the newest schema without running the migrations:
    the same tables, columns (types, nullability, server defaults), keys, indexes and checks,
    the same starting rows and revision, as the migrations make."""
    migrated, created = (create_store_engine(u) for u in (empty_store_url, other_empty_store_url))
    try:
        command.upgrade(alembic_config(migrated), "head")
        upgrade(created)
        assert _shape(created) == _shape(migrated)
        assert _rows(created) == _rows(migrated)
        assert stored_revision(created) == head_revision()
        with created.connect() as conn:  # the models' view agrees too
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        upgrade(created)  # at the newest: nothing to do
        assert _rows(created) == _rows(migrated)
    finally:
        for engine in (migrated, created):
            engine.dispose()


def test_a_table_in_the_way_is_never_built_over(empty_store_url: str) -> None:
    """A database holding any table is not a new store: the migrations take it as they always
    did (here: a table of another program's, left alone, and podium's tables beside it)."""
    engine = create_store_engine(empty_store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE notes (body TEXT)"))
            conn.execute(text("INSERT INTO notes VALUES ('kept')"))
        upgrade(engine)
        assert stored_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT body FROM notes")).scalar() == "kept"
    finally:
        engine.dispose()


def _shape(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, indexes and checks, as the database reports them (column
    order aside: the ORM names every column)."""
    found = inspect(engine)
    return {
        table: {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ),
            "primary key": found.get_pk_constraint(table),
            "foreign keys": sorted(
                (
                    str(f["name"]),
                    tuple(f["constrained_columns"]),
                    f["referred_table"],
                    tuple(f["referred_columns"]),
                    str(sorted(f.get("options", {}).items())),
                )
                for f in found.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (str(i["name"]), tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
            "unique": sorted(
                (str(u["name"]), tuple(u["column_names"]))
                for u in found.get_unique_constraints(table)
            ),
            "checks": sorted(
                (str(c["name"]), " ".join(c["sqltext"].split()))
                for c in found.get_check_constraints(table)
            ),
        }
        for table in found.get_table_names()
    }


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows; the shown revision starts at a random number (0015), so only its
    presence counts."""
    with engine.connect() as conn:
        rows = {
            table: sorted(tuple(r) for r in conn.execute(text(f'SELECT * FROM "{table}"')))
            for table in inspect(conn).get_table_names()
        }
    rows["board_revision"] = [(i, v if i != SHOWN_ROW else None) for i, v in rows["board_revision"]]
    return rows


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


def test_a_new_store_and_one_at_the_newest_schema_are_opened_without_loading_alembic(
    empty_store_url: str,
) -> None:
    probe = (
        "import sys\n"
        "from podium.store.db import create_store_engine, stored_revision, upgrade\n"
        f"engine = create_store_engine({empty_store_url!r})\n"
        "upgrade(engine)\n"
        "print(stored_revision(engine), 'alembic' in sys.modules)\n"
    )
    for _ in ("made anew", "at the newest"):
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        assert done.stdout.split() == [head_revision(), "False"], done.stderr


def test_processes_racing_to_make_one_new_store_make_it_once(empty_store_url: str) -> None:
    """Servers and commands started together on a new store: one makes it, the others wait
    for its write transaction and find it made (no error, no second set of first rows)."""
    probe = (
        "from podium.store.db import create_store_engine, stored_revision, upgrade\n"
        f"engine = create_store_engine({empty_store_url!r})\n"
        "upgrade(engine)\n"
        "print(stored_revision(engine))\n"
    )
    racers = [
        subprocess.Popen([sys.executable, "-c", probe], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    said = [racer.communicate()[0].strip() for racer in racers]
    assert said == [head_revision()] * 3 and all(r.returncode == 0 for r in racers)
    engine = create_store_engine(empty_store_url)
    try:
        assert [row[0] for row in _rows(engine)["board_revision"]] == [1, SHOWN_ROW]
    finally:
        engine.dispose()
