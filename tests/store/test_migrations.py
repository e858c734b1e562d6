"""Migrations build the schema the models describe, and upgrade an older store in place."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from podium.store.db import alembic_config, create_store_engine, sqlite_url, upgrade
from podium.store.models import Base


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url(tmp_path / "s.db"))
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_an_older_store_upgrades_without_losing_rows(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url(tmp_path / "s.db"))
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO hall_of_fame (competition_name, stage_name, place, team_name, "
                          "members, score, duration_seconds, recorded_at) VALUES "
                          "('c', 's', 1, 't', '', 1.0, 2.0, '2026-01-01')"))  # fmt: skip
    upgrade(engine)
    assert "gpu_energy_joules" in {c["name"] for c in inspect(engine).get_columns("measurements")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT team_name FROM hall_of_fame")).scalar() == "t"


def test_0006_adds_the_energy_columns_and_takes_them_away_again(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url(tmp_path / "s.db"))
    energy = {"cpu_energy_joules", "idle_cpu_watts", "idle_gpu_watts", "energy_note"}
    upgrade(engine)
    assert energy <= {c["name"] for c in inspect(engine).get_columns("measurements")}
    command.downgrade(alembic_config(engine), "0005")
    columns = {c["name"] for c in inspect(engine).get_columns("measurements")}
    assert not energy & columns and "gpu_energy_joules" in columns
